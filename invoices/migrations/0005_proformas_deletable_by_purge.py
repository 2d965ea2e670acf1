"""Issued pro-formas (with their lines and VAT totals) may be deleted while their account holds a
purge permit (`seats.PurgePermit`): only inside the transaction that deletes an unpaid trial
account with its data (SPEC §6, `invoices.services.purge`). Everything else the triggers of 0002
refuse stays refused: any UPDATE of a frozen column, with or without a permit, and any DELETE of
an issued VAT invoice or corrective invoice (accounting documents are kept), or of their lines
and totals.

The functions (PostgreSQL) and triggers (SQLite) of 0002 are replaced for both vendors. The
complete current SQLite statements are `SQLITE_FORWARD` / `SQLITE_BACKWARD` below: a later
migration that rebuilds `invoices_document` (or a part table) on SQLite drops and recreates
these, as 0004 did with those of 0002."""

import importlib

from django.db import migrations

# ruff: noqa: S608 (the SQL is built from the constants below only)

FROZEN = importlib.import_module("invoices.migrations.0002_issued_documents_frozen")
MESSAGE, PARTS, _mutable_array = FROZEN.MESSAGE, FROZEN.PARTS, FROZEN._mutable_array
PURGING = "SELECT account_id FROM seats_purgepermit"

POSTGRES_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION invoices_document_frozen() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'issued' THEN
            IF TG_OP = 'DELETE' THEN
                IF OLD.kind = 'proforma' AND OLD.account_id IN ({PURGING}) THEN
                    RETURN OLD;  -- the account is being purged (invoices.services.purge)
                END IF;
                RAISE EXCEPTION '{MESSAGE} (delete of %)', OLD.number;
            END IF;
            IF (to_jsonb(NEW) - {_mutable_array}) IS DISTINCT FROM
               (to_jsonb(OLD) - {_mutable_array}) THEN
                RAISE EXCEPTION '{MESSAGE} (update of %)', OLD.number;
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE OR REPLACE FUNCTION invoices_document_part_frozen() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM invoices_document
                   WHERE id = OLD.document_id AND status = 'issued'
                   AND NOT (TG_OP = 'DELETE' AND kind = 'proforma'
                            AND account_id IN ({PURGING}))) THEN
            RAISE EXCEPTION '{MESSAGE} (% of a line or total)', lower(TG_OP);
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
]
# 0002's functions again (the triggers that call them stay)
POSTGRES_BACKWARD = [sql for sql in FROZEN.POSTGRES_FORWARD if "CREATE OR REPLACE FUNCTION" in sql]

SQLITE_DOCUMENT_DELETE = f"""
    CREATE TRIGGER invoices_document_frozen_delete BEFORE DELETE ON invoices_document
    FOR EACH ROW WHEN OLD.status = 'issued'
                 AND NOT (OLD.kind = 'proforma' AND OLD.account_id IN ({PURGING}))
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """
SQLITE_PART_DELETES = [
    f"""
    CREATE TRIGGER {table}_frozen_delete BEFORE DELETE ON {table}
    FOR EACH ROW WHEN EXISTS (SELECT 1 FROM invoices_document
                              WHERE id = OLD.document_id AND status = 'issued'
                              AND NOT (kind = 'proforma' AND account_id IN ({PURGING})))
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """
    for table in PARTS
]
_DELETE_TRIGGERS = ["invoices_document_frozen_delete", *[f"{t}_frozen_delete" for t in PARTS]]
_DROP_DELETES = [f"DROP TRIGGER IF EXISTS {name};" for name in _DELETE_TRIGGERS]
_UPDATES_0002 = [sql for sql in FROZEN.SQLITE_FORWARD if "BEFORE UPDATE" in sql]  # unchanged
_DELETES_0002 = [sql for sql in FROZEN.SQLITE_FORWARD if "BEFORE DELETE" in sql]

# every invoices trigger on SQLite as of this migration (for a later table rebuild)
SQLITE_FORWARD = [*_UPDATES_0002, SQLITE_DOCUMENT_DELETE, *SQLITE_PART_DELETES]
SQLITE_BACKWARD = FROZEN.SQLITE_BACKWARD

STATEMENTS = {
    "postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
    "sqlite": ([*_DROP_DELETES, SQLITE_DOCUMENT_DELETE, *SQLITE_PART_DELETES],
               [*_DROP_DELETES, *_DELETES_0002]),
}


def _run(schema_editor, index):
    statements = STATEMENTS.get(schema_editor.connection.vendor)
    if statements is None:  # another database: the Document.save() guard only
        return
    for sql in statements[index]:
        schema_editor.execute(sql, params=None)  # no placeholders: keep the % signs


def forward(apps, schema_editor):
    _run(schema_editor, 0)


def backward(apps, schema_editor):
    _run(schema_editor, 1)


class Migration(migrations.Migration):

    dependencies = [
        ("invoices", "0004_document_paid_by"),
        ("seats", "0007_purge_permit"),
    ]

    operations = [migrations.RunPython(forward, backward)]
