"""Benchmark: the pure renewal-quote maths for an account with 1 000 seats (issue 3).

Run from the project root: `.venv/bin/python bench/bench_pricing.py [--repeat N] [--number N]`.
Prints the best time per quote in milliseconds for two accounts; the budget is 20 ms. Exits 1
when a case is over budget. Not part of the test suite: timings depend on the machine.

- typical: 1 000 seats paid through one date, a few never paid and a few lapsed (few distinct
  periods, as in a real account);
- worst case: every seat has its own billing start (no two lines share a period).
"""

import argparse
import sys
import timeit
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from plans.pricing import AddOnLine, SeatTerms, quote_renewal  # noqa: E402

BUDGET_MS = 20.0
AS_OF = date(2026, 11, 16)
SEATS = 1000


def typical_account():
    seats = []
    for i in range(SEATS):
        if i % 100 == 0:  # never paid, added this month
            seats.append(SeatTerms(i, date(2026, 11, 30), None, date(2026, 11, 3 + i % 20)))
        elif i % 50 == 0:  # lapsed 5 days ago
            seats.append(SeatTerms(i, date(2026, 11, 11), date(2026, 11, 11), date(2025, 1, 1)))
        else:
            seats.append(SeatTerms(i, date(2026, 11, 30), date(2026, 11, 30), date(2025, 1, 1)))
    return tuple(seats)


def worst_case_account():
    # paid through 10 days ago … ~2.7 years ahead: 1 000 distinct billing starts, some in grace
    seats = []
    for i in range(SEATS):
        paid_through = AS_OF - timedelta(days=10 - i)
        seats.append(SeatTerms(i, paid_through, paid_through, date(2025, 1, 1)))
    return tuple(seats)


def run(name, seats, target_month, *, repeat, number):
    def once():
        return quote_renewal(
            seats=seats, new_seats=10, unit_price=Decimal("59.00"), target_month=target_month,
            as_of=AS_OF, vat_rate=Decimal("23"),
            add_ons=(AddOnLine("chatbot", 3, Decimal("49.00")),),
        )

    quote = once()
    best = min(timeit.repeat(once, repeat=repeat, number=number)) / number * 1000
    distinct = len({line.start for line in quote.lines})
    verdict = "ok" if best < BUDGET_MS else "OVER BUDGET"
    print(f"{name:<11} {len(quote.lines):>5} lines, {distinct:>4} distinct periods, "
          f"to {quote.valid_until}: best of {repeat} × {number}: {best:6.2f} ms per quote "
          f"({verdict}, budget {BUDGET_MS} ms)")
    return best < BUDGET_MS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=20)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {SEATS} seats + 10 new + 1 add-on, as of {AS_OF}")
    results = [
        run("typical", typical_account(), (2027, 12), repeat=args.repeat, number=args.number),
        run("worst case", worst_case_account(), (2029, 11), repeat=args.repeat,
            number=args.number),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
