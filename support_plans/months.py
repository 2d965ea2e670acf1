"""Parsing "YYYY-MM" for the command line and the admin."""

from datetime import date


def month_parse(text: str) -> date:
    """"2026-11" → date(2026, 11, 1). ValueError for anything else ("2026-13", "11/2026", "")."""
    parts = (text or "").strip().split("-")
    if len(parts) != 2 or len(parts[0]) != 4 or len(parts[1]) != 2 or not all(
            p.isascii() and p.isdigit() for p in parts):
        raise ValueError(f"not a month like 2026-11: {text!r}")
    return date(int(parts[0]), int(parts[1]), 1)
