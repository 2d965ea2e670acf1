"""The "Payments → History" page (SPEC §7): orders, payments, documents with their stored PDFs,
and the add-note form; admins only, and only their own account's documents.
"""

import html
import os
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing_site.money import money
from invoices.models import Document, DocumentKind
from invoices.tests.factories import (
    issued_document,
    order_with_proforma,
    rendered,
    staff_user,
    tenant,
    waiting_document,
)
from plans.models import Order, OrderKind, OrderStatus, OrderVoidReason
from plans.services import order_transition
from seats import services as seat_services

HISTORY = "/account/history/"
OLD = 1_000_000_000

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def acme(make_account, make_member):
    return tenant(make_account, make_member, "Acme")


@pytest.fixture
def globex(make_account, make_member):
    return tenant(make_account, make_member, "Globex")


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def text(response):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def row(response, document):
    """The text of one document's table row."""
    match = re.search(rf'<tr id="document-{document.pk}">(.*?)</tr>', response.content.decode(),
                      re.S)
    assert match, f"no row for document #{document.pk}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def field_errors(response, field_id):
    return [html.unescape(e) for e in
            re.findall(rf'id="{field_id}_error\d+">([^<]*)<', response.content.decode())]


def order(account, *, kind=OrderKind.RENEWAL, status=OrderStatus.PENDING, gross="145.14",
          as_of=date(2026, 11, 10)):
    gross = Decimal(gross)
    net = money(gross / Decimal("1.23"))
    return Order.objects.create(account=account, kind=kind, status=status, currency="PLN",
                                net=net, vat=gross - net, gross=gross, quote={}, as_of=as_of)


# --- what the page shows ------------------------------------------------------------------------


def test_history_lists_orders_payments_and_documents(acme):
    paid = order(acme.account, status=OrderStatus.PAID, gross="145.14", as_of=date(2026, 11, 2))
    order(acme.account, kind=OrderKind.ADDONS, gross="60.27")
    invoice = rendered(issued_document(acme.account))
    proforma = issued_document(acme.account, kind=DocumentKind.PROFORMA)  # not rendered yet
    waiting = waiting_document(acme.account)

    response = client_for(acme.admin.user).get(HISTORY)

    assert response.status_code == 200
    page = text(response)
    assert "Renewals and orders" in page
    assert f"Nov. 2, 2026 #{paid.pk} Renewal Paid 145.14 PLN" in page
    assert "Add-on packs Pending payment 60.27 PLN" in page
    assert 'href="/account/payments/"' in response.content.decode()
    assert row(response, invoice) == (
        "FV/2026/11/0001 VAT invoice Nov. 16, 2026 72.57 PLN Issued Download PDF XML (KSeF) "
        "Add note Note on FV/2026/11/0001 Printed on the invoice PDF (at most 500 "
        "characters). Save note"
    )
    assert row(response, proforma) == (
        "PF/2026/11/0001 Pro-forma Nov. 16, 2026 72.57 PLN Issued PDF being prepared"
    )
    assert "Waiting for the NBP rate" in row(response, waiting)
    content = response.content.decode()
    assert f'href="/account/documents/{invoice.pk}/pdf/"' in content
    assert f'href="/account/documents/{proforma.pk}/pdf/"' not in content
    # the note form only on VAT invoices
    assert f'action="/account/documents/{invoice.pk}/note/"' in content
    assert f'action="/account/documents/{proforma.pk}/note/"' not in content


def test_history_shows_what_a_correction_corrects_and_the_current_note(acme):
    invoice = issued_document(acme.account, note="Zamówienie 117")
    correction = issued_document(acme.account, kind=DocumentKind.CORRECTION, corrects=invoice,
                                 correction_reason="Dane nabywcy", due_days=None)

    response = client_for(acme.admin.user).get(HISTORY)

    assert "Corrective invoice corrects FV/2026/11/0001" in row(response, correction)
    assert "Zamówienie 117 Change note" in row(response, invoice)


def history_queries(user):
    client = client_for(user)
    with CaptureQueriesContext(connection) as context:
        response = client.get(HISTORY)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_history_costs_five_queries_while_no_order_is_pending(acme):
    """Issue 16 ("History ≤ 6"): the session, the user with its member and account, the access
    decision's seat dates, the orders (read once: none is pending, so none is refreshed) and
    the documents; the same with documents and paid orders listed."""
    assert history_queries(acme.admin.user) == 5
    order(acme.account, status=OrderStatus.PAID, as_of=date(2026, 11, 2))
    rendered(issued_document(acme.account))
    issued_document(acme.account, kind=DocumentKind.PROFORMA)

    assert history_queries(acme.admin.user) == 5


def test_history_refreshes_the_pending_orders_it_lists(acme):
    """A pending order still payable stays pending; one past its payment window is closed; the
    list shows both as they are after the refresh, newest first."""
    stale = order(acme.account, as_of=date(2026, 11, 1))  # payable through 15 November
    payable = order(acme.account, kind=OrderKind.ADDONS, gross="60.27")

    response = client_for(acme.admin.user).get(HISTORY)

    assert [o.pk for o in response.context["orders"]] == [payable.pk, stale.pk]
    assert [o.status for o in response.context["orders"]] == [OrderStatus.PENDING,
                                                             OrderStatus.EXPIRED]


def test_history_closes_an_order_past_its_payment_window_before_listing_it(acme):
    stale = order(acme.account, as_of=date(2026, 11, 1))  # payable through 15 November

    response = client_for(acme.admin.user).get(HISTORY)

    assert f"Nov. 1, 2026 #{stale.pk} Renewal Expired 145.14 PLN" in text(response)
    stale.refresh_from_db()
    assert (stale.status, stale.status_reason) == (OrderStatus.EXPIRED, "expired")


def test_history_shows_the_proforma_of_an_order_that_can_no_longer_be_paid_as_void(acme):
    """The order was priced on the account's seats; a seat added since voids it. History closes
    it before listing (without anyone opening the order's page) and marks its pro-forma void;
    the pro-forma itself stays as issued."""
    pending, proforma = order_with_proforma(acme.account, actor=acme.admin.user)
    seat_services.seats_add(account=acme.account, count=1, actor=acme.admin.user,
                            as_of=date(2026, 11, 16))

    response = client_for(acme.admin.user).get(HISTORY)

    page = text(response)
    assert f"#{pending.pk} Renewal Cancelled {pending.gross} PLN" in page
    assert "Pending payment" not in page
    assert row(response, proforma) == (
        f"PF/2026/11/0001 Pro-forma Nov. 16, 2026 {proforma.gross} PLN Void — order cancelled: "
        "the seats or their validity have changed since it was quoted PDF being prepared"
    )
    proforma.refresh_from_db()
    assert proforma.status == "issued"


def test_the_void_mark_is_translated_into_polish(acme, settings):
    pending, proforma = order_with_proforma(acme.account, actor=acme.admin.user)
    order_transition(order=pending, to=OrderStatus.EXPIRED, reason=OrderVoidReason.EXPIRED,
                     actor=None, as_of=date(2026, 11, 16))
    settings.LANGUAGE_CODE = "pl"

    response = client_for(acme.admin.user).get(HISTORY, HTTP_ACCEPT_LANGUAGE="pl")

    assert "Nieważna — zamówienie wygasło: minął termin jego ważności" in row(response, proforma)


def test_history_shows_the_proforma_of_a_payable_order_as_issued(acme):
    _pending, proforma = order_with_proforma(acme.account, actor=acme.admin.user)

    response = client_for(acme.admin.user).get(HISTORY)

    assert "Issued" in row(response, proforma) and "Void" not in row(response, proforma)


def test_history_without_anything_says_so(acme):
    response = client_for(acme.admin.user).get(HISTORY)

    page = text(response)
    assert "No renewals or orders yet." in page
    assert 'href="/account/payments/"' in response.content.decode()
    assert "No invoices yet." in page


# --- downloads ----------------------------------------------------------------------------------


def test_download_serves_the_stored_file_without_rendering_again(acme, media):
    invoice = rendered(issued_document(acme.account))
    path = media / invoice.pdf.name
    stored = path.read_bytes()
    os.utime(path, ns=(OLD * 10**9, OLD * 10**9))

    response = client_for(acme.admin.user).get(f"/account/documents/{invoice.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="FV-2026-11-0001.pdf"'
    assert b"".join(response.streaming_content) == stored
    assert path.stat().st_mtime_ns == OLD * 10**9
    invoice.refresh_from_db()
    assert invoice.pdf.name == "documents/2026/11/FV-2026-11-0001.pdf"


def test_a_pdf_not_rendered_yet_is_being_prepared_and_not_rendered_by_the_request(acme, media):
    invoice = issued_document(acme.account)
    client = client_for(acme.admin.user)

    response = client.get(f"/account/documents/{invoice.pk}/pdf/", follow=True)

    assert response.redirect_chain == [(f"{HISTORY}#documents", 302)]
    assert ("The PDF of FV/2026/11/0001 is being prepared. Try again in a minute."
            in text(response))
    invoice.refresh_from_db()
    assert not invoice.pdf and invoice.needs_render
    assert not list(media.rglob("*.pdf")) if media.exists() else True


# --- notes --------------------------------------------------------------------------------------


def test_admin_adds_a_note_and_the_pdf_is_rendered_again_with_it(
        acme, django_capture_on_commit_callbacks, mailoutbox):
    invoice = rendered(issued_document(acme.account))
    before = invoice.pdf_fingerprint
    client = client_for(acme.admin.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/account/documents/{invoice.pk}/note/",
                               {"note": "Zamówienie ZK/2026/117"})

    assert response.status_code == 302
    assert response["Location"] == f"{HISTORY}#document-{invoice.pk}"
    invoice.refresh_from_db()
    assert invoice.note == "Zamówienie ZK/2026/117"
    assert invoice.pdf_fingerprint != before and not invoice.needs_render
    assert len(mailoutbox) == 1  # the first e-mail only; a note does not send it again
    page = client.get(HISTORY)
    assert ("The note has been saved. The PDF of FV/2026/11/0001 is being updated."
            in text(page))
    assert "Zamówienie ZK/2026/117 Change note" in row(page, invoice)


@pytest.mark.parametrize("note, error", [
    ("", "Enter the text of the note."),
    ("y" * 501, "A note can be at most 500 characters long (this one has 501)."),
])
def test_a_refused_note_is_shown_on_its_form(acme, note, error):
    invoice = issued_document(acme.account)

    response = client_for(acme.admin.user).post(f"/account/documents/{invoice.pk}/note/",
                                                {"note": note})

    assert response.status_code == 400
    assert field_errors(response, f"id_note{invoice.pk}_note") == [error]
    assert '<details class="note-panel" open>' in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.note == ""


def test_a_note_on_a_proforma_is_refused_with_a_message(acme):
    proforma = issued_document(acme.account, kind=DocumentKind.PROFORMA)

    response = client_for(acme.admin.user).post(f"/account/documents/{proforma.pk}/note/",
                                                {"note": "Nota"}, follow=True)

    assert "Notes can be added to VAT invoices and corrective invoices only." in text(response)
    proforma.refresh_from_db()
    assert proforma.note == ""


def test_the_note_form_needs_a_post_with_a_csrf_token(acme):
    invoice = issued_document(acme.account)
    client = Client(enforce_csrf_checks=True)
    client.force_login(acme.admin.user)

    response = client.get(f"/account/documents/{invoice.pk}/note/")  # issue 13: to its form
    assert (response.status_code, response["Location"]) == (
        302, f"/account/history/#document-{invoice.pk}")
    response = client.post(f"/account/documents/{invoice.pk}/note/", {"note": "Nota"})

    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.note == ""


# --- who may see what ---------------------------------------------------------------------------


def test_another_accounts_documents_are_not_found(acme, globex):
    theirs = rendered(issued_document(globex.account))
    client = client_for(acme.admin.user)

    assert client.get(f"/account/documents/{theirs.pk}/pdf/").status_code == 404
    response = client.post(f"/account/documents/{theirs.pk}/note/", {"note": "Nota"})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.note == ""
    assert "FV/2026/11/0001" not in text(client.get(HISTORY))


@pytest.mark.parametrize("role", ["manager", "user"])
def test_managers_and_users_are_refused(acme, role):
    invoice = rendered(issued_document(acme.account))
    client = client_for(getattr(acme, role).user)

    assert client.get(HISTORY).status_code == 403
    assert client.get(f"/account/documents/{invoice.pk}/pdf/").status_code == 403
    assert client.post(f"/account/documents/{invoice.pk}/note/",
                       {"note": "Nota"}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.note == ""


def test_staff_without_an_organisation_have_no_history(acme, django_user_model):
    staff = staff_user(django_user_model, "finance@vendor.example", groups=["finance"])

    response = client_for(staff).get(HISTORY)

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(acme):
    invoice = issued_document(acme.account)

    for url in (HISTORY, f"/account/documents/{invoice.pk}/pdf/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_documents_are_not_changed_by_viewing(acme):
    invoice = rendered(issued_document(acme.account))
    before = Document.objects.filter(pk=invoice.pk).values().get()

    client_for(acme.admin.user).get(HISTORY)
    client_for(acme.admin.user).get(f"/account/documents/{invoice.pk}/pdf/")

    assert Document.objects.filter(pk=invoice.pk).values().get() == before
