"""Staff enter an NBP rate by hand in the admin; documents waiting for it are issued."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from invoices.models import BillingProfile, DocumentStatus, ExchangeRate, RateSource
from invoices.services.documents import LineInput, document_issue
from seats.models import AuditEntry


@pytest.fixture
def eur_account(make_account):
    account, _admin = make_account("Euro GmbH", country="DE")
    BillingProfile.objects.create(
        account=account, kind="company", name="Euro GmbH", street="Hauptstr. 1",
        postal_code="10115", city="Berlin", country="DE", invoice_email="ap@euro.example",
    )
    return account


def test_rate_entered_by_staff_in_the_admin_issues_the_waiting_document(eur_account, client):
    issue_day = date(2026, 11, 16)  # needs the rate of Friday 2026-11-13
    document = document_issue(
        account=eur_account, kind="invoice", sale_date=issue_day, as_of=issue_day,
        lines=[LineInput("Licencja", Decimal("1"), Decimal("100.00"))],
    )
    assert document.status == DocumentStatus.WAITING_FOR_RATE
    root = get_user_model().objects.create_superuser("root@x.example", "root@x.example", "pw")
    client.force_login(root)
    with time_machine.travel(datetime(2026, 11, 16, 14, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        response = client.post(reverse("admin:invoices_exchangerate_add"), {
            "currency": "EUR", "effective_date": "2026-11-13", "rate": "4.2512",
            "table_number": "221/A/NBP/2026",
        })
    assert response.status_code == 302
    rate = ExchangeRate.objects.get(currency="EUR", effective_date=date(2026, 11, 13))
    assert rate.source == RateSource.MANUAL
    assert AuditEntry.objects.filter(action="exchange_rate.manual").exists()
    document.refresh_from_db()
    assert document.status == DocumentStatus.ISSUED
    assert document.exchange_rate == Decimal("4.251200")
    assert document.vat_pln == Decimal("97.78")  # 23.00 EUR × 4.2512
