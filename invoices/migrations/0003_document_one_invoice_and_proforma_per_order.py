"""At most one VAT invoice and at most one pro-forma per order, in the database too (the services
return the existing document; this refuses a second one written any other way)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("invoices", "0002_issued_documents_frozen"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="document",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind__in", ["invoice", "proforma"]),
                                   ("order__isnull", False)),
                fields=("order", "kind"),
                name="document_one_invoice_and_proforma_per_order",
            ),
        ),
    ]
