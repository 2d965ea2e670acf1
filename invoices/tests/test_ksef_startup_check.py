"""The seller's NIP is checked at start-up against the checksum and KSeF's NIP pattern
(issue 15): a wrong SELLER_NIP would make KSeF refuse every invoice."""

import pytest

from invoices.checks import seller_nip_accepted_by_ksef


@pytest.mark.parametrize(("value", "ids"), [
    ("5260250995", []),
    ("0000000000", ["invoices.E001"]),  # valid checksum, refused by the FA(3) pattern
    ("1000000006", ["invoices.E001"]),
    ("5260250994", ["invoices.E001"]),  # wrong check digit
    ("", ["invoices.E001"]),
])
def test_seller_nip_is_checked_at_start_up(settings, value, ids):
    settings.SELLER = {**settings.SELLER, "tax_id": value}

    assert [error.id for error in seller_nip_accepted_by_ksef()] == ids


def test_the_check_runs_with_the_system_checks(settings):
    from django.core import checks

    settings.SELLER = {**settings.SELLER, "tax_id": "0000000000"}

    assert "invoices.E001" in [message.id for message in checks.run_checks()]
