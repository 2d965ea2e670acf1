"""Tests of the invoices app. Helpers shared by its test modules live here (importing this package
needs no Django setup, so `invoices.tests.stubs` can be used anywhere)."""

PROFILES = {
    # country: (kind, name, tax id, tax id status)
    "PL": ("company", "Acme Sp. z o.o.", "5252344078", "n/a"),
    "DE": ("company", "Beispiel GmbH", "DE136695976", "valid"),
    "CZ": ("company", "Příklad s.r.o.", "CZ25123891", "valid"),
    "US": ("company", "Example Inc.", "", "n/a"),
}


def billing_profile(account, **fields):
    """The account's invoice data, written directly (the profile service is tested on its own).
    Defaults follow the account's country; `fields` override."""
    from invoices.models import BillingProfile

    country = fields.pop("country", str(account.country))
    kind, name, tax_id, status = PROFILES.get(country, PROFILES["US"])
    data = {"kind": kind, "name": name, "street": "Main Street 1", "postal_code": "00-001",
            "city": "Town", "country": country, "tax_id": tax_id, "tax_id_status": status,
            "invoice_email": "invoices@buyer.example"}
    data.update(fields)
    return BillingProfile.objects.create(account=account, **data)
