"""`seats.services.account_billing_country_set`: the one writer of the account's country and
currency when its invoice data move to another country (called by `invoices.services.profile`)."""

import pytest

from billing_site.errors import DomainError
from seats import services
from seats.models import Account, AuditEntry

pytestmark = pytest.mark.django_db


def test_sets_country_and_currency_with_an_audit_row(make_account, staff):
    account, _admin = make_account("Acme", country="PL")

    stored = services.account_billing_country_set(account=account, country="de",
                                                  currency="EUR", actor=staff)

    account.refresh_from_db()
    assert (account.country.code, account.currency) == ("DE", "EUR")
    assert (stored.country.code, stored.currency) == ("DE", "EUR")
    entry = AuditEntry.objects.get(action="account.billing_country_change")
    assert (entry.actor, entry.before, entry.after) == (
        staff, {"country": "PL", "currency": "PLN"}, {"country": "DE", "currency": "EUR"})


def test_nothing_is_written_when_country_and_currency_are_already_so(make_account):
    account, _admin = make_account("Acme", country="PL")

    services.account_billing_country_set(account=account, country="PL", currency="PLN",
                                         actor=None)

    assert not AuditEntry.objects.filter(action="account.billing_country_change").exists()


def test_refuses_an_unknown_country_or_currency(make_account):
    account, _admin = make_account("Acme", country="PL")

    with pytest.raises(DomainError):
        services.account_billing_country_set(account=account, country="XX", currency="EUR",
                                             actor=None)
    with pytest.raises(ValueError):
        services.account_billing_country_set(account=account, country="DE", currency="GBP",
                                             actor=None)
    assert Account.objects.values_list("country", "currency").get(pk=account.pk) == ("PL", "PLN")
