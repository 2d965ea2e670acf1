"""The document e-mail is written in Polish and in English (issue 12, item 3): each half writes
its dates and amounts the way its language does, through `billing_site.formatting`."""

from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from invoices.tests.factories import Line, issued_document, tenant

pytestmark = pytest.mark.django_db


def test_each_half_of_the_document_email_formats_in_its_own_language(make_account, make_member):
    acme = tenant(make_account, make_member, "Acme")
    document = issued_document(
        acme.account, lines=[Line("Base", 20, "59.00", date(2026, 11, 16), date(2026, 11, 30))],
        issue_date=date(2026, 11, 16), due_days=14)
    assert document.gross == Decimal("1451.40")

    body = render_to_string("invoices/email/document_body.txt",
                            {"document": document, "seller": document.seller})
    body = body.replace("\xa0", " ")  # Polish groups thousands with a no-break space

    polish, english = body.split("-----")
    assert "z dnia 16 listopada 2026 na kwotę 1 451,40 PLN, płatną do 30 listopada 2026." in polish
    assert "of Nov. 16, 2026 for 1,451.40 PLN, due on Nov. 30, 2026." in english
