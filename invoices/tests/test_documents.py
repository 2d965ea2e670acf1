"""Issuing documents (SPEC §7): snapshots, totals, due dates, immutability, documents of an
order, corrections, tenant-scoped reads."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from billing_site.errors import DomainError
from billing_site.models import OutboxMessage
from invoices import selectors
from invoices.models import (
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    ExchangeRate,
    NumberCounter,
    TaxIdStatus,
)
from invoices.services.documents import (
    BUYER_DATA_CORRECTION_REASON,
    LineInput,
    correction_issue,
    correction_issue_buyer_data,
    document_issue,
    invoice_issue_for_order,
    proforma_issue_for_order,
)
from plans.models import OrderStatus, OrderVoidReason
from plans.services import order_transition, renewal_order_create
from seats import services as seat_services
from seats.models import AuditEntry

from . import billing_profile

D = Decimal
AS_OF = date(2026, 11, 16)
FRI = date(2026, 11, 13)
SEATS = [LineInput("Licencja stanowiska — pakiet Base, 2026-11-16 – 2026-11-30", D(3),
                   D("29.50"), date(2026, 11, 16), date(2026, 11, 30))]


@pytest.fixture
def acme(make_account):
    account, admin = make_account("Acme")
    billing_profile(account)
    return account, admin.user


def invoice(account, lines=SEATS, as_of=AS_OF, **kwargs):
    return document_issue(account=account, kind=DocumentKind.INVOICE, lines=lines,
                          sale_date=as_of, as_of=as_of, **kwargs)


# --- issuing -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_issuing_needs_the_invoice_data(make_account):
    account, _ = make_account("Nobody")
    with pytest.raises(DomainError, match="Fill in the invoice data first"):
        invoice(account)
    assert not Document.objects.exists() and not NumberCounter.objects.exists()


@pytest.mark.django_db
def test_invoice_freezes_seller_buyer_lines_totals_and_dates(acme, settings):
    account, user = acme
    doc = invoice(account, actor=user)
    assert (doc.kind, doc.status, doc.number) == ("invoice", "issued", "FV/2026/11/0001")
    assert (doc.issue_date, doc.sale_date, doc.due_date) == (AS_OF, AS_OF, date(2026, 11, 30))
    assert doc.currency == "PLN" and doc.issued_by == user
    assert doc.seller["name"] == settings.SELLER["name"]
    assert doc.seller["tax_id"] == settings.SELLER["tax_id"]
    assert doc.buyer == {"kind": "company", "name": "Acme Sp. z o.o.", "street": "Main Street 1",
                         "postal_code": "00-001", "city": "Town", "country": "PL",
                         "tax_id": "5252344078", "tax_id_status": "n/a",
                         "invoice_email": "invoices@buyer.example"}
    assert doc.ordering_party is None
    (line,) = doc.lines.all()
    assert (line.position, line.quantity, line.unit_price, line.net, line.vat_rate) == (
        1, D("3"), D("29.50"), D("88.50"), D("23"))
    assert (line.period_start, line.period_end, line.unit) == (date(2026, 11, 16),
                                                               date(2026, 11, 30), "szt.")
    assert (doc.net, doc.vat, doc.gross, doc.vat_pln) == (D("88.50"), D("20.36"),
                                                          D("108.86"), None)
    entry = AuditEntry.objects.get(action="document.issue", target_id=doc.pk)
    assert entry.account == account and entry.after["number"] == "FV/2026/11/0001"


@pytest.mark.django_db
def test_payment_terms_come_from_settings(acme, settings):
    settings.INVOICE_PAYMENT_DAYS = 7
    account, _ = acme
    assert invoice(account).due_date == date(2026, 11, 23)


@pytest.mark.django_db
def test_ordering_party_is_frozen_when_filled_in(make_account):
    account, _ = make_account("Child")
    billing_profile(account, ordering_party_name="Parent S.A.", ordering_party_street="ul. A 1",
                    ordering_party_postal_code="00-002", ordering_party_city="Warszawa",
                    ordering_party_country="PL", ordering_party_tax_id="5260250995")
    doc = invoice(account)
    assert doc.ordering_party == {"name": "Parent S.A.", "street": "ul. A 1",
                                  "postal_code": "00-002", "city": "Warszawa",
                                  "country": "PL", "tax_id": "5260250995"}


@pytest.mark.django_db
def test_later_changes_of_invoice_data_do_not_touch_issued_documents(acme):
    account, _ = acme
    doc = invoice(account)
    account.billing_profile.name = "Renamed Sp. z o.o."
    account.billing_profile.save()
    doc.refresh_from_db()
    assert doc.buyer["name"] == "Acme Sp. z o.o."
    assert invoice(account).buyer["name"] == "Renamed Sp. z o.o."


@pytest.mark.django_db
def test_pdf_rendering_is_queued_with_the_document_and_published_after_commit_only(
        acme, media, django_capture_on_commit_callbacks):
    account, _ = acme
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        doc = invoice(account)
        # in the outbox, in the issuing transaction; not handed to the broker before commit
        queued = OutboxMessage.objects.get(task_name="invoices.render_document")
        assert queued.args == [doc.pk] and queued.published_at is None
    assert len(callbacks) == 1
    queued.refresh_from_db()
    assert queued.published_at is not None


@pytest.mark.django_db
def test_a_document_needs_lines_and_a_non_negative_total(acme):
    account, _ = acme
    with pytest.raises(DomainError):
        invoice(account, lines=[])
    with pytest.raises(DomainError):
        invoice(account, lines=[LineInput("Zwrot", D(1), D("-10.00"))])


@pytest.mark.django_db
def test_invoice_in_euro_shows_its_vat_in_pln_at_the_nbp_rate(make_account):
    account, _ = make_account("Beispiel", country="DE")
    billing_profile(account, tax_id="", tax_id_status=TaxIdStatus.NOT_APPLICABLE)
    ExchangeRate.objects.create(currency="EUR", effective_date=FRI, rate=D("4.2345"),
                                table_number="221/A/NBP/2026")
    doc = invoice(account, lines=[LineInput("Licencja stanowiska", D(5), D("14.00"))])
    assert (doc.currency, doc.net, doc.vat) == ("EUR", D("70.00"), D("16.10"))
    assert (doc.exchange_rate, doc.exchange_rate_date, doc.exchange_rate_table) == (
        D("4.2345"), FRI, "221/A/NBP/2026")
    assert doc.vat_pln == D("68.18")  # 16.10 × 4.2345 = 68.17545
    assert doc.vat_totals.get().vat_pln == D("68.18")


@pytest.mark.django_db
def test_reverse_charge_invoice_has_no_vat_and_needs_no_rate(make_account):
    account, _ = make_account("Beispiel", country="DE")
    billing_profile(account, tax_id_status=TaxIdStatus.VALID)
    doc = invoice(account, lines=[LineInput("Licencja stanowiska", D(5), D("14.00"))])
    assert (doc.status, doc.vat_code, doc.vat, doc.vat_pln) == ("issued", "reverse_charge",
                                                                D("0.00"), None)
    assert doc.lines.get().vat_code == "reverse_charge"


# --- immutability --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_issued_document_cannot_be_saved_with_changes(acme):
    account, _ = acme
    doc = invoice(account)
    doc.net = D("1.00")
    with pytest.raises(DomainError, match="cannot be changed"):
        doc.save()
    with pytest.raises(DomainError):
        doc.save(update_fields=["net"])
    doc.refresh_from_db()
    assert doc.net == D("88.50")


@pytest.mark.django_db
def test_a_note_may_be_added_to_an_issued_document(acme):
    account, _ = acme
    doc = invoice(account)
    doc.note = "PO 4711"
    doc.needs_render = True
    doc.save(update_fields=["note", "needs_render"])
    Document.objects.filter(pk=doc.pk).update(note="PO 4712")  # the database allows it too
    doc.refresh_from_db()
    assert doc.note == "PO 4712"


@pytest.mark.django_db
def test_database_refuses_changes_to_issued_documents_behind_the_models_back(acme):
    account, _ = acme
    doc = invoice(account)
    attempts = [
        lambda: Document.objects.filter(pk=doc.pk).update(net=D("1.00")),
        lambda: Document.objects.filter(pk=doc.pk).update(buyer={"name": "Someone else"}),
        lambda: Document.objects.filter(pk=doc.pk).update(number="FV/2026/11/9999"),
        lambda: Document.objects.filter(pk=doc.pk).delete(),
        lambda: DocumentLine.objects.filter(document=doc).update(unit_price=D("1.00")),
        lambda: DocumentLine.objects.filter(document=doc).delete(),
        lambda: doc.vat_totals.update(vat=D("0.00")),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            attempt()
    doc.refresh_from_db()
    assert (doc.net, doc.number, doc.lines.get().unit_price) == (D("88.50"), "FV/2026/11/0001",
                                                                 D("29.50"))


# --- documents of an order -----------------------------------------------------------------------


@pytest.fixture
def order(make_account):
    """Seats created on two days (two groups of identical lines), a new seat in the renewal,
    add-on packs, and a 6-month term (5 % discount)."""
    account, admin = make_account("Acme", as_of=date(2026, 11, 2))
    seat_services.seats_add(account=account, count=2, actor=None, as_of=AS_OF)
    billing_profile(account)
    return renewal_order_create(account=account, until=(2027, 5), add_seats=1,
                                add_ons={"chatbot": 2}, actor=admin.user, as_of=AS_OF)


@pytest.mark.django_db
def test_proforma_of_an_order_adds_up_to_the_orders_net(order):
    doc = proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)
    assert (doc.kind, doc.number, doc.order) == ("proforma", "PF/2026/11/0001", order)
    assert doc.net == order.net == D(order.quote["net"])
    assert doc.vat == order.vat and doc.gross == order.gross  # same buyer VAT status
    lines = [(line.description, line.quantity, line.unit_price, line.net)
             for line in doc.lines.all()]
    a, b, c = (D(x["amount"]) for x in order.quote["lines"][:3])
    assert b == c != a  # the first seat is older
    assert lines == [
        ("Licencja stanowiska — pakiet Base, 2026-11-02 – 2027-05-31", D(1), a, a),
        ("Licencja stanowiska — pakiet Base, 2026-11-16 – 2027-05-31", D(3), b, 3 * b),
        ("Chatbot conversations × 2 pak., 2026-11-16 – 2027-05-31", D(1),
         D(order.quote["lines"][-1]["amount"]), D(order.quote["lines"][-1]["amount"])),
        ("Rabat 5 % za okres 6 mies.", D(1), -D(order.quote["discount"]),
         -D(order.quote["discount"])),
    ]


@pytest.mark.django_db
def test_proforma_of_an_order_is_issued_once(order):
    first = proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)
    again = proforma_issue_for_order(order=order, actor=None, as_of=date(2026, 11, 17))
    assert again.pk == first.pk
    assert Document.objects.filter(order=order).count() == 1
    assert NumberCounter.objects.get(kind="proforma").last_number == 1


@pytest.mark.django_db
def test_invoice_of_an_order_is_issued_once_in_the_orders_currency(order):
    order.account.currency = "EUR"  # changed since the order: the order's amounts are in PLN
    order.account.save(update_fields=["currency"])
    doc = invoice_issue_for_order(order=order, actor=None, as_of=AS_OF)
    assert (doc.kind, doc.number, doc.currency, doc.net) == ("invoice", "FV/2026/11/0001",
                                                             "PLN", order.net)
    assert invoice_issue_for_order(order=order, actor=None, as_of=AS_OF).pk == doc.pk


def _copy_of(document, **changes):
    """A second row like `document`, inserted past the services (as a bug or raw SQL would)."""
    values = Document.objects.filter(pk=document.pk).values().get()
    values.pop("id")
    values.update(changes)
    return Document.objects.create(**values)


@pytest.mark.django_db
@pytest.mark.parametrize("issue", [proforma_issue_for_order, invoice_issue_for_order])
def test_the_database_refuses_a_second_invoice_or_proforma_of_an_order(order, issue):
    first = issue(order=order, actor=None, as_of=AS_OF)

    with pytest.raises(IntegrityError, match="document_one_invoice_and_proforma_per_order"), \
            transaction.atomic():
        _copy_of(first, number=f"{first.number}-2", sequence=first.sequence + 1)

    assert Document.objects.filter(order=order, kind=first.kind).count() == 1


@pytest.mark.django_db
def test_an_order_may_have_its_proforma_its_invoice_and_any_number_of_corrections(order):
    proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)
    invoice_doc = invoice_issue_for_order(order=order, actor=None, as_of=AS_OF)
    for reason in ("first", "second"):
        correction_issue(original=invoice_doc, lines=SEATS, reason=reason, actor=None,
                         as_of=AS_OF)

    assert sorted(Document.objects.filter(order=order).values_list("kind", flat=True)) == [
        "correction", "correction", "invoice", "proforma"]


@pytest.mark.django_db
def test_documents_of_a_cancelled_order_are_refused(order):
    order = order_transition(order=order, to=OrderStatus.CANCELLED,
                             reason=OrderVoidReason.STAFF, actor=None, as_of=AS_OF)
    with pytest.raises(DomainError):
        proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)
    with pytest.raises(DomainError):
        invoice_issue_for_order(order=order, actor=None, as_of=AS_OF)


@pytest.mark.django_db
def test_order_vat_treatment_is_decided_once_and_a_change_voids_the_pending_order(order):
    """SPEC §7, issue 7: the order was quoted with the buyer's invoice data (Polish, 23 %); the
    buyer has since become an EU business with a valid VAT id. The order's VAT no longer holds,
    so the order is void instead of getting a pro-forma with other amounts than the quote."""
    assert order.quote["vat_code"] == "23"
    profile = order.account.billing_profile
    profile.country, profile.tax_id, profile.tax_id_status = "DE", "DE136695976", "valid"
    profile.save()
    with pytest.raises(DomainError, match="the VAT treatment of the invoice data has changed"
                       ) as refused:
        proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)
    assert refused.value.code == "order_cancelled"
    order.refresh_from_db()
    assert (order.status, order.status_reason) == (OrderStatus.CANCELLED, "vat_changed")
    assert not order.documents.exists()


# --- corrections ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_buyer_data_correction_refers_to_the_original_with_the_new_buyer(acme):
    account, user = acme
    original = invoice(account)
    profile = account.billing_profile
    profile.name, profile.street = "Acme Polska Sp. z o.o.", "ul. Nowa 2"
    profile.save()
    correction = correction_issue_buyer_data(original=original, actor=user,
                                             as_of=date(2026, 11, 20))
    assert (correction.kind, correction.number, correction.corrects) == (
        "correction", "KOR/2026/11/0001", original)
    assert correction.correction_reason == BUYER_DATA_CORRECTION_REASON
    assert correction.buyer["name"] == "Acme Polska Sp. z o.o."
    assert correction.buyer["street"] == "ul. Nowa 2"
    assert (correction.issue_date, correction.sale_date, correction.due_date) == (
        date(2026, 11, 20), original.sale_date, None)
    assert [(x.description, x.quantity, x.unit_price, x.net) for x in correction.lines.all()] \
        == [(x.description, x.quantity, x.unit_price, x.net) for x in original.lines.all()]
    assert (correction.net, correction.vat, correction.gross) == (original.net, original.vat,
                                                                  original.gross)
    difference = selectors.document_difference(correction)
    assert (difference.net, difference.vat, difference.gross) == (0, 0, 0)
    original.refresh_from_db()
    assert original.buyer["name"] == "Acme Sp. z o.o."  # the original is never edited
    assert AuditEntry.objects.filter(action="document.issue", target_id=correction.pk).exists()


@pytest.mark.django_db
def test_a_second_correction_corrects_the_latest_state(acme):
    account, user = acme
    original = invoice(account)
    first = correction_issue_buyer_data(original=original, actor=user, as_of=AS_OF)
    second = correction_issue_buyer_data(original=original, actor=user, as_of=AS_OF)
    assert (first.corrects, second.corrects) == (original, first)
    assert second.number == "KOR/2026/11/0002"


@pytest.mark.django_db
def test_proformas_are_not_corrected(acme):
    account, user = acme
    proforma = document_issue(account=account, kind="proforma", lines=SEATS, sale_date=AS_OF,
                              as_of=AS_OF)
    with pytest.raises(DomainError, match="pro-forma"):
        correction_issue_buyer_data(original=proforma, actor=user, as_of=AS_OF)
    with pytest.raises(DomainError):
        correction_issue(original=proforma, lines=[], reason="Zwrot", actor=user, as_of=AS_OF)
    assert not Document.objects.filter(kind="correction").exists()


@pytest.mark.django_db
def test_correction_states_the_invoice_after_correction_and_its_difference(acme):
    account, user = acme
    original = invoice(account)  # 3 × 29.50
    corrected = correction_issue(
        original=original, reason="Zwrot za 1 stanowisko (refund of one seat)", actor=user,
        as_of=date(2026, 11, 18),
        lines=[*[LineInput(x.description, x.quantity, x.unit_price) for x in SEATS],
               LineInput("Zwrot — 1 stanowisko", D(-1), D("29.50"))],
    )
    assert (corrected.net, corrected.vat, corrected.gross) == (D("59.00"), D("13.57"),
                                                               D("72.57"))
    difference = selectors.document_difference(corrected)
    assert (difference.net, difference.vat, difference.gross) == (D("-29.50"), D("-6.79"),
                                                                  D("-36.29"))
    assert difference.by_code == {"23": {"net": D("-29.50"), "vat": D("-6.79"),
                                         "gross": D("-36.29")}}
    assert corrected.buyer == original.buyer  # a refund does not change the buyer
    full = correction_issue(original=original, lines=[], reason="Zwrot całości", actor=user,
                            as_of=date(2026, 11, 18))
    assert full.corrects == corrected and full.gross == 0
    assert selectors.document_difference(full).gross == D("-72.57")


@pytest.mark.django_db
def test_a_correction_cannot_go_below_zero_or_go_without_a_reason(acme):
    account, user = acme
    original = invoice(account)
    with pytest.raises(DomainError):
        correction_issue(original=original, lines=[LineInput("Zwrot", D(-4), D("29.50"))],
                         reason="Zwrot", actor=user, as_of=AS_OF)
    with pytest.raises(DomainError):
        correction_issue(original=original, lines=[], reason=" ", actor=user, as_of=AS_OF)


@pytest.mark.django_db
def test_foreign_correction_keeps_the_original_rate_and_never_waits(make_account):
    account, admin = make_account("Beispiel", country="DE")
    user = admin.user
    billing_profile(account, tax_id="", tax_id_status=TaxIdStatus.NOT_APPLICABLE)
    ExchangeRate.objects.create(currency="EUR", effective_date=FRI, rate=D("4.2345"))
    original = invoice(account, lines=[LineInput("Licencja stanowiska", D(5), D("14.00"))])
    # no rate for the day before 2026-12-02 exists: the correction still uses the original's
    correction = correction_issue(original=original, reason="Zwrot", actor=user,
                                  as_of=date(2026, 12, 2),
                                  lines=[LineInput("Licencja stanowiska", D(4), D("14.00"))])
    assert (correction.status, correction.number) == ("issued", "KOR/2026/12/0001")
    assert (correction.exchange_rate, correction.exchange_rate_date) == (D("4.2345"), FRI)
    assert (correction.vat, correction.vat_pln) == (D("12.88"), D("54.54"))  # 12.88 × 4.2345


# --- reads ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_document_reads_are_scoped_to_the_account(acme, make_account):
    account, _ = acme
    other, _ = make_account("Other")
    billing_profile(other, name="Other Sp. z o.o.")
    mine, theirs = invoice(account), invoice(other)
    assert list(selectors.documents_for_account(account=account)) == [mine]
    assert selectors.document_for_account(account=account, document_id=mine.pk) == mine
    assert selectors.document_for_account(account=account, document_id=theirs.pk) is None
    assert selectors.document_last_invoice(account=other) == theirs


@pytest.mark.django_db
def test_waiting_documents_are_listed_with_the_rate_day_they_need(make_account):
    account, _ = make_account("Beispiel", country="DE")
    billing_profile(account, tax_id_status=TaxIdStatus.PENDING)
    doc = invoice(account, lines=[LineInput("Licencja stanowiska", D(1), D("14.00"))])
    assert doc.status == DocumentStatus.WAITING_FOR_RATE
    assert selectors.documents_waiting_for_rate(as_of=date(2026, 11, 17)) == [
        (doc, date(2026, 11, 16))]


@pytest.mark.django_db
def test_order_documents_name_the_package_the_order_was_quoted_for(order):
    from plans.services import order_transition, package_change

    order_transition(order=order, to=OrderStatus.PAID, actor=None, as_of=AS_OF)
    package_change(account=order.account, package_code="automation", dry_run=False, actor=None,
                   as_of=AS_OF)
    doc = invoice_issue_for_order(order=order, actor=None, as_of=AS_OF)
    descriptions = list(doc.lines.values_list("description", flat=True))
    assert any("pakiet Base" in text for text in descriptions)
    assert not any("Automation" in text for text in descriptions)


@pytest.mark.django_db
def test_a_pending_order_is_void_after_a_package_change(order):
    from plans.services import package_change

    package_change(account=order.account, package_code="automation", dry_run=False, actor=None,
                   as_of=AS_OF)
    with pytest.raises(DomainError, match="the package has changed since it was quoted"):
        proforma_issue_for_order(order=order, actor=None, as_of=AS_OF)
