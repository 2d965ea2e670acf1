"""Issued documents are immutable in the database too, not only in Document.save(): a queryset
.update() or raw SQL that changes a frozen column of an issued document (or its lines or VAT
totals), or deletes one, is refused by a trigger. Mutable after issuing: the note and the PDF
bookkeeping (Document.MUTABLE_AFTER_ISSUE), and issued_by (SET NULL when a user is deleted).

PostgreSQL compares the whole row minus the mutable columns (a column added later is frozen
unless this list is extended); SQLite lists the frozen columns."""

from django.db import migrations

# ruff: noqa: S608 (the SQL is built from the constants below only)

MUTABLE = ["note", "pdf", "pdf_fingerprint", "needs_render", "emailed_at", "issued_by_id"]
FROZEN = ["id", "kind", "status", "account_id", "order_id", "corrects_id", "number",
          "number_year", "number_month", "sequence", "issue_date", "sale_date", "due_date",
          "currency", "seller", "buyer", "ordering_party", "vat_code", "net", "vat", "gross",
          "vat_pln", "exchange_rate", "exchange_rate_date", "exchange_rate_table",
          "correction_reason", "created_at"]
PARTS = ["invoices_documentline", "invoices_documentvattotal"]
MESSAGE = "issued documents are immutable; issue a correction instead"

_mutable_array = "ARRAY[" + ", ".join(f"'{c}'" for c in MUTABLE) + "]"

POSTGRES_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION invoices_document_frozen() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'issued' THEN
            IF TG_OP = 'DELETE' THEN
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
    """
    CREATE TRIGGER invoices_document_frozen BEFORE UPDATE OR DELETE ON invoices_document
    FOR EACH ROW EXECUTE FUNCTION invoices_document_frozen();
    """,
    f"""
    CREATE OR REPLACE FUNCTION invoices_document_part_frozen() RETURNS trigger AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM invoices_document
                   WHERE id = OLD.document_id AND status = 'issued') THEN
            RAISE EXCEPTION '{MESSAGE} (% of a line or total)', lower(TG_OP);
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
] + [
    f"""
    CREATE TRIGGER {table}_frozen BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION invoices_document_part_frozen();
    """
    for table in PARTS
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS invoices_document_frozen ON invoices_document;",
    *[f"DROP TRIGGER IF EXISTS {table}_frozen ON {table};" for table in PARTS],
    "DROP FUNCTION IF EXISTS invoices_document_frozen();",
    "DROP FUNCTION IF EXISTS invoices_document_part_frozen();",
]

_changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in FROZEN)
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER invoices_document_frozen_update BEFORE UPDATE ON invoices_document
    FOR EACH ROW WHEN OLD.status = 'issued' AND ({_changed})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    f"""
    CREATE TRIGGER invoices_document_frozen_delete BEFORE DELETE ON invoices_document
    FOR EACH ROW WHEN OLD.status = 'issued'
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
] + [
    f"""
    CREATE TRIGGER {table}_frozen_{op.lower()} BEFORE {op} ON {table}
    FOR EACH ROW WHEN EXISTS (SELECT 1 FROM invoices_document
                              WHERE id = OLD.document_id AND status = 'issued')
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """
    for table in PARTS for op in ("UPDATE", "DELETE")
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS invoices_document_frozen_update;",
    "DROP TRIGGER IF EXISTS invoices_document_frozen_delete;",
    *[f"DROP TRIGGER IF EXISTS {table}_frozen_{op};" for table in PARTS
      for op in ("update", "delete")],
]

STATEMENTS = {"postgresql": (POSTGRES_FORWARD, POSTGRES_BACKWARD),
              "sqlite": (SQLITE_FORWARD, SQLITE_BACKWARD)}


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
        ("invoices", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward)]
