"""Document numbers: one series per document kind and month, gapless and unique (SPEC §7).

The counter is a row (`NumberCounter`), not a database sequence: a sequence hands out numbers
outside the transaction, so a rolled-back issue would leave a gap. Here the row is locked with
SELECT … FOR UPDATE and incremented in the issuing transaction; concurrent issuers of the same
series queue on that lock, and a rollback returns the number with the rest of the transaction.

A batch (month-end contract invoices, issue 11) takes a block of numbers with `numbers_reserve`:
one statement that creates or increments the counter by the block's size and returns the new
last number. The row stays locked by that UPDATE until the batch's transaction ends, so the
block is the batch's alone, and a batch rolled back midway returns the whole block: the next
number issued follows the last one committed.
"""

from datetime import date
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from invoices.models import DocumentKind, NumberCounter


class Number(NamedTuple):
    number: str  # e.g. FV/2026/11/0001
    year: int
    month: int
    seq: int


def number_format(*, kind: str, year: int, month: int, seq: int) -> str:
    return settings.DOCUMENT_NUMBER_FORMATS[kind].format(year=year, month=month, seq=seq)


def next_number(*, kind: str, issue_date: date) -> Number:
    """Take the next number of `kind`'s series for the month of `issue_date`.

    Must run inside the transaction that inserts the document (refused otherwise): the counter
    row stays locked until that transaction ends, which is what makes the series gapless.
    """
    if kind not in DocumentKind.values:
        raise ValueError(f"Unknown document kind {kind!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the issuing transaction")
    key = {"kind": kind, "year": issue_date.year, "month": issue_date.month}
    counters = NumberCounter.objects.select_for_update()
    try:
        counter = counters.get(**key)
    except NumberCounter.DoesNotExist:
        # The month's first number: create the row race-free (INSERT … ON CONFLICT DO NOTHING;
        # a concurrent creator makes this wait for its outcome), then lock it like any other.
        NumberCounter.objects.bulk_create([NumberCounter(**key, last_number=0)],
                                          ignore_conflicts=True)
        counter = counters.get(**key)
    NumberCounter.objects.filter(pk=counter.pk).update(last_number=F("last_number") + 1)
    seq = counter.last_number + 1
    return Number(number_format(kind=kind, year=key["year"], month=key["month"], seq=seq),
                  key["year"], key["month"], seq)


def numbers_reserve(*, kind: str, issue_date: date, count: int) -> list[Number]:
    """Take the next `count` numbers of `kind`'s series for the month of `issue_date`, in order,
    with one statement (INSERT … ON CONFLICT DO UPDATE … RETURNING): the counter row is created
    if it is the month's first use, otherwise locked and advanced by `count`.

    Must run inside the transaction that inserts the documents (RuntimeError otherwise), as
    `next_number`: the row stays locked until it ends, and a rollback returns the whole block.
    `count` 0 returns [] without touching the counter; a negative count is a ValueError."""
    if kind not in DocumentKind.values:
        raise ValueError(f"Unknown document kind {kind!r}")
    if count < 0:
        raise ValueError("count must not be negative")
    if count == 0:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers_reserve() must run inside the issuing transaction")
    table = connection.ops.quote_name(NumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, year, month, last_number) "  # noqa: S608 (table name)
            f"VALUES (%s, %s, %s, %s) ON CONFLICT (kind, year, month) "
            f"DO UPDATE SET last_number = {table}.last_number + EXCLUDED.last_number "
            f"RETURNING last_number",
            [kind, issue_date.year, issue_date.month, count])
        (last,) = cursor.fetchone()
    year, month = issue_date.year, issue_date.month
    return [Number(number_format(kind=kind, year=year, month=month, seq=seq), year, month, seq)
            for seq in range(last - count + 1, last + 1)]
