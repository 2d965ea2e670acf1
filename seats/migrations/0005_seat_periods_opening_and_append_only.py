"""The seat-period ledger starts with the dates every seat has now, and is append-only in the
database too, not only in SeatPeriod.save()/delete().

1. Opening rows (cause "opening"), written so that `seats.validity.derive_validity` gives each
   seat exactly its current `valid_until` / `paid_through`: a paid row ending on `paid_through`
   when the seat has been paid, then an unpaid row ending on `valid_until` when that differs.
2. A trigger refuses UPDATE and DELETE of a row (also through QuerySet.update() or raw SQL). The
   one UPDATE allowed is Django's SET NULL of `actor_id` when that user is deleted. TRUNCATE (the
   test database flush) is not a row operation and stays possible.

PostgreSQL compares the whole row minus actor_id (a column added later is frozen too); SQLite
(the zero-configuration demo) lists the columns."""

from datetime import timedelta

from django.db import migrations

# ruff: noqa: S608 (the SQL is built from the constants below only)

MESSAGE = "seat periods are append-only; append a row (or a reversal) instead"
COLUMNS = ["id", "account_id", "seat_id", "first_day", "last_day", "paid", "cause", "order_id",
           "reverses_id", "actor_label", "created_at"]

POSTGRES_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION seats_seatperiod_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;  -- the actor's user row is being deleted (SET NULL)
        END IF;
        RAISE EXCEPTION '{MESSAGE} (% of period %)', lower(TG_OP), OLD.id;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER seats_seatperiod_append_only BEFORE UPDATE OR DELETE ON seats_seatperiod
    FOR EACH ROW EXECUTE FUNCTION seats_seatperiod_append_only();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS seats_seatperiod_append_only ON seats_seatperiod;",
    "DROP FUNCTION IF EXISTS seats_seatperiod_append_only();",
]

_unchanged = " AND ".join(f'NEW."{c}" IS OLD."{c}"' for c in COLUMNS)
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER seats_seatperiod_append_only_update BEFORE UPDATE ON seats_seatperiod
    FOR EACH ROW WHEN NOT (NEW.actor_id IS NULL AND {_unchanged})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER seats_seatperiod_append_only_delete BEFORE DELETE ON seats_seatperiod
    FOR EACH ROW BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS seats_seatperiod_append_only_update;",
    "DROP TRIGGER IF EXISTS seats_seatperiod_append_only_delete;",
]

STATEMENTS = {"postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
              "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD)}


def _run(schema_editor, index):
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements is None:  # another database: the SeatPeriod.save()/delete() guard only
        return
    for sql in statements[index]:
        schema_editor.execute(sql, params=None)  # no placeholders: keep the % signs


def opening_rows(apps, schema_editor):
    Seat = apps.get_model("seats", "Seat")
    SeatPeriod = apps.get_model("seats", "SeatPeriod")
    rows = []
    # seats without rows only: forward again after a backward (which keeps the rows) adds none
    for seat in Seat.objects.filter(periods__isnull=True).order_by("id").iterator(2000):
        common = {"account_id": seat.account_id, "seat_id": seat.pk, "cause": "opening",
                  "actor_label": "system"}
        valid_until, paid_through = seat.valid_until, seat.paid_through
        if paid_through is not None:
            rows.append(SeatPeriod(first_day=min(seat.created_on, paid_through),
                                   last_day=paid_through, paid=True, **common))
        if valid_until != paid_through:
            first = paid_through + timedelta(days=1) if paid_through else seat.created_on
            rows.append(SeatPeriod(first_day=min(first, valid_until), last_day=valid_until,
                                   paid=False, **common))
        if len(rows) >= 2000:
            SeatPeriod.objects.bulk_create(rows)
            rows = []
    SeatPeriod.objects.bulk_create(rows)


def forward(apps, schema_editor):
    opening_rows(apps, schema_editor)
    _run(schema_editor, 0)


def backward(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):

    dependencies = [
        ("seats", "0004_seat_period"),
    ]

    operations = [migrations.RunPython(forward, backward)]
