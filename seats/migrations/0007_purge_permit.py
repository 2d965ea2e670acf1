"""The purge permit (`seats.PurgePermit`): the seat-period ledger stays append-only, except that a
DELETE of a period goes through while a permit row for the period's account exists — which is
only ever inside the transaction that deletes an unpaid trial account with its data (SPEC §6,
`seats.services.purge`).

1. The table `seats_purgepermit` (one row per account being purged, never committed).
2. The trigger of 0005 is replaced, for both vendors, keeping everything else it refuses: UPDATE
   is still refused (but for the SET NULL of `actor_id` when that user is deleted), and DELETE is
   refused unless the account holds a permit.
3. PostgreSQL only: a deferred constraint trigger refuses to commit a transaction that leaves a
   permit row behind, so a permit can never outlive its purge. (SQLite has no deferred triggers;
   there the purge service's `finally` is the only guard — SQLite is the single-process demo.)

The statements are module constants so that a later migration that rebuilds `seats_seatperiod`
on SQLite (which drops its triggers) can create them again, as invoices 0004 does."""

import importlib

from django.db import migrations, models

# ruff: noqa: S608 (the SQL is built from the constants below only)

APPEND_ONLY = importlib.import_module("seats.migrations.0005_seat_periods_opening_and_append_only")
MESSAGE = APPEND_ONLY.MESSAGE
PERMITTED = "EXISTS (SELECT 1 FROM seats_purgepermit WHERE account_id = OLD.account_id)"
PERMIT_MESSAGE = "a purge permit must be deleted in the transaction that created it"

POSTGRES_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION seats_seatperiod_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
           AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
            RETURN NEW;  -- the actor's user row is being deleted (SET NULL)
        END IF;
        IF TG_OP = 'DELETE' AND {PERMITTED} THEN
            RETURN OLD;  -- the account is being purged (seats.services.purge)
        END IF;
        RAISE EXCEPTION '{MESSAGE} (% of period %)', lower(TG_OP), OLD.id;
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE OR REPLACE FUNCTION seats_purgepermit_not_committed() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM seats_purgepermit WHERE account_id = NEW.account_id) THEN
            RAISE EXCEPTION '{PERMIT_MESSAGE} (account %)', NEW.account_id;
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE CONSTRAINT TRIGGER seats_purgepermit_not_committed AFTER INSERT ON seats_purgepermit
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION seats_purgepermit_not_committed();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS seats_purgepermit_not_committed ON seats_purgepermit;",
    "DROP FUNCTION IF EXISTS seats_purgepermit_not_committed();",
    APPEND_ONLY.POSTGRES_FORWARD[0],  # the function of 0005 again (its trigger stays)
]

SQLITE_DELETE = f"""
    CREATE TRIGGER seats_seatperiod_append_only_delete BEFORE DELETE ON seats_seatperiod
    FOR EACH ROW WHEN NOT {PERMITTED}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """
SQLITE_DROP_DELETE = "DROP TRIGGER IF EXISTS seats_seatperiod_append_only_delete;"
# The UPDATE trigger of 0005 is unchanged; these are the complete current SQLite triggers.
SQLITE_FORWARD = [APPEND_ONLY.SQLITE_FORWARD[0], SQLITE_DELETE]
SQLITE_BACKWARD = APPEND_ONLY.SQLITE_BACKWARD

STATEMENTS = {
    "postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
    "sqlite": ([SQLITE_DROP_DELETE, SQLITE_DELETE],
               [SQLITE_DROP_DELETE, APPEND_ONLY.SQLITE_FORWARD[1]]),
}


def _run(schema_editor, index):
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements is None:  # another database: the SeatPeriod.save()/delete() guard only
        return
    for sql in statements[index]:
        schema_editor.execute(sql, params=None)  # no placeholders: keep the % signs


def forward(apps, schema_editor):
    _run(schema_editor, 0)


def backward(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):

    dependencies = [
        ("seats", "0006_contract_and_access_hold"),
    ]

    operations = [
        migrations.CreateModel(
            name="PurgePermit",
            fields=[
                ("account_id", models.BigIntegerField(primary_key=True, serialize=False,
                                                      verbose_name="account")),
            ],
            options={
                "verbose_name": "purge permit",
                "verbose_name_plural": "purge permits",
            },
        ),
        migrations.RunPython(forward, backward),
    ]
