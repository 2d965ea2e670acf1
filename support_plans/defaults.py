"""The support tiers of SPEC §8 as data (the table is the source of these defaults), seeded by
migration 0002 and by the tests' `support_plans` fixture (a transactional test's flush wipes
migration data). PREMIUM is `individual`: placeholder terms (24/7, a 0 fee, STANDARD's hourly
rate) that staff set in the admin, per customer; customers cannot order it."""

from datetime import time
from decimal import Decimal

H = 60  # minutes in an hour
SUPPORT_GROUP = "support"  # vendor staff who work the ticket queue

FIELDS = ["code", "name", "monthly_fee", "minimum_term_months", "hours_included",
          "workday_start", "workday_end", "round_the_clock", "weekends", "public_holidays",
          "critical_on_days_off", "reaction_minutes", "monthly_limit_minutes", "email_scope",
          "phone", "development", "hourly_rate", "individual", "orderable"]

TIERS = [
    ("COMMUNITY", "Community", Decimal("0.00"), None, 0, time(10), time(13), False, False,
     False, False, None, None, "bugs", False, False, Decimal("200.00"), False, True),
    ("EMAIL", "Email", Decimal("129.00"), 3, 0, time(9), time(15), False, False, False, False,
     12 * H, 3 * H, "all", False, False, Decimal("180.00"), False, True),
    ("START", "Start", Decimal("399.00"), 3, 3 * H, time(8), time(16), False, False, False,
     False, 8 * H, 8 * H, "all", True, False, Decimal("165.00"), False, True),
    ("STANDARD", "Standard", Decimal("799.00"), 6, 7 * H, time(7), time(17), False, False,
     False, True, 4 * H, 15 * H, "all", True, True, Decimal("140.00"), False, True),
    ("PREMIUM", "Premium", Decimal("0.00"), None, 0, time(0), time(23, 59), True, True, True,
     True, 4 * H, None, "all", True, True, Decimal("140.00"), True, False),
]


def tier_fields() -> dict[str, dict]:
    """code → the field values of that tier."""
    return {row[0]: dict(zip(FIELDS, row, strict=True)) for row in TIERS}


def seed_support_plans(SupportPlan, Group=None) -> None:  # noqa: N803 - model classes
    """Create the tiers missing by code (existing rows, possibly edited by staff, are kept) and
    the group "support". Idempotent; takes the (historical) model classes."""
    for code, fields in tier_fields().items():
        defaults = {k: v for k, v in fields.items() if k != "code"}
        SupportPlan.objects.get_or_create(code=code, defaults=defaults)
    if Group is not None:
        Group.objects.get_or_create(name=SUPPORT_GROUP)
