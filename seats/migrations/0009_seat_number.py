"""Seats are numbered per account (1, 2, 3…; issue 12): what a tenant sees instead of the
database id.

1. `number` is added empty, then every existing seat gets its number: an account's seats in the
   order they were created (by id), removed seats included, so that numbers never repeat.
2. It becomes required and unique per account.
3. On PostgreSQL a trigger gives a row inserted without a number the next one of its account
   (fixtures, the Django admin, raw inserts); the services number seats themselves, under the
   account lock (`seats.services.ledger.seats_open`). SQLite (the demo) has no such trigger: there
   seats are only created through the services.
"""

from django.db import migrations, models

POSTGRES_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION seats_seat_number_default() RETURNS trigger AS $$
    BEGIN
        IF NEW.number IS NULL THEN
            SELECT COALESCE(MAX(number), 0) + 1 INTO NEW.number
            FROM seats_seat WHERE account_id = NEW.account_id;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER seats_seat_number_default BEFORE INSERT ON seats_seat
    FOR EACH ROW EXECUTE FUNCTION seats_seat_number_default();
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS seats_seat_number_default ON seats_seat;",
    "DROP FUNCTION IF EXISTS seats_seat_number_default();",
]


def number_existing_seats(apps, schema_editor):
    Seat = apps.get_model("seats", "Seat")
    batch, account_id, number = [], None, 0
    for seat in Seat.objects.order_by("account_id", "id").only("id", "account_id").iterator():
        if seat.account_id != account_id:
            account_id, number = seat.account_id, 0
        number += 1
        seat.number = number
        batch.append(seat)
        if len(batch) >= 1000:
            Seat.objects.bulk_update(batch, ["number"])
            batch = []
    if batch:
        Seat.objects.bulk_update(batch, ["number"])


def trigger_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            schema_editor.execute(sql, params=None)


def trigger_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_BACKWARD:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("seats", "0008_confirmed_seat_count"),
    ]

    operations = [
        migrations.AddField(
            model_name="seat",
            name="number",
            field=models.PositiveIntegerField(editable=False, null=True, verbose_name="number"),
        ),
        migrations.RunPython(number_existing_seats, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="seat",
            name="number",
            field=models.PositiveIntegerField(editable=False, verbose_name="number"),
        ),
        migrations.AddConstraint(
            model_name="seat",
            constraint=models.UniqueConstraint(fields=("account", "number"),
                                               name="seat_number_per_account"),
        ),
        migrations.RunPython(trigger_forward, trigger_backward),
    ]
