"""Invoice data, documents (pro-forma, VAT invoice, corrective invoice), numbering and exchange
rates (SPEC §7).

Invariants:
- a document's number is unique, and gapless within its series and month: numbers are taken from a
  `NumberCounter` row locked in the issuing transaction (a rolled-back issue returns its number);
- an issued document never changes: its seller/buyer data, lines and totals are frozen snapshots;
  only the note (and the rendering bookkeeping that follows it) may change afterwards; a correction
  is a new corrective document referring to the original;
- a document whose PLN VAT needs an NBP rate not yet known waits unnumbered (status
  `waiting_for_rate`) and is numbered when the rate arrives.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from billing_site.errors import DomainError
from billing_site.money import Currency


class PartyKind(models.TextChoices):
    COMPANY = "company", _("company")
    PERSON = "person", _("natural person")


class TaxIdStatus(models.TextChoices):
    NOT_APPLICABLE = "n/a", _("not applicable")  # no tax id, or a Polish NIP (checksum only)
    VALID = "valid", _("valid in VIES")
    INVALID = "invalid", _("invalid in VIES")
    PENDING = "pending", _("VIES unavailable, re-checking")


class BillingProfile(models.Model):
    """The buyer's invoice data of an account (one per account), with an optional separate
    ordering party. Changes apply to future documents only."""

    account = models.OneToOneField("seats.Account", on_delete=models.CASCADE,
                                   related_name="billing_profile", verbose_name=_("account"))
    kind = models.CharField(_("buyer type"), max_length=10, choices=PartyKind.choices,
                            default=PartyKind.COMPANY)
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    # Normalised: a Polish NIP as 10 digits; an EU VAT id with its country prefix (DE123456789).
    tax_id = models.CharField(_("tax id"), max_length=32, blank=True)
    tax_id_status = models.CharField(_("tax id status"), max_length=10,
                                     choices=TaxIdStatus.choices,
                                     default=TaxIdStatus.NOT_APPLICABLE)
    tax_id_checked_at = models.DateTimeField(_("tax id checked at"), null=True, blank=True)
    invoice_email = models.EmailField(_("e-mail for invoices"))
    # Optional ordering party (e.g. a parent company placing the order for the buyer)
    ordering_party_name = models.CharField(_("ordering party name"), max_length=200, blank=True)
    ordering_party_street = models.CharField(_("ordering party street"), max_length=200,
                                             blank=True)
    ordering_party_postal_code = models.CharField(_("ordering party postal code"),
                                                  max_length=20, blank=True)
    ordering_party_city = models.CharField(_("ordering party city"), max_length=100, blank=True)
    ordering_party_country = CountryField(_("ordering party country"), blank=True)
    ordering_party_tax_id = models.CharField(_("ordering party tax id"), max_length=32,
                                             blank=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("billing profile")
        verbose_name_plural = _("billing profiles")
        constraints = [
            models.CheckConstraint(condition=Q(kind="company") | Q(country="PL"),
                                   name="billing_profile_person_only_in_poland"),
        ]

    def __str__(self):
        return self.name


class RateSource(models.TextChoices):
    NBP = "nbp", _("NBP table A")
    MANUAL = "manual", _("entered by staff")


class ExchangeRate(models.Model):
    """NBP table A mid rate: PLN for one unit of `currency`, as published on `effective_date`."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    effective_date = models.DateField(_("effective date"))
    rate = models.DecimalField(_("mid rate (PLN)"), max_digits=12, decimal_places=6)
    table_number = models.CharField(_("table number"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=RateSource.choices,
                              default=RateSource.NBP)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        ordering = ["-effective_date", "currency"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["currency", "effective_date"],
                                    name="exchange_rate_unique_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self):
        return f"{self.currency} {self.effective_date}: {self.rate}"


class DocumentKind(models.TextChoices):
    PROFORMA = "proforma", _("pro-forma")
    INVOICE = "invoice", _("VAT invoice")
    CORRECTION = "correction", _("corrective invoice")


class NumberCounter(models.Model):
    """The last number used in one series (document kind) and month. Locked with
    select_for_update in the issuing transaction, so numbers are gapless and unique."""

    kind = models.CharField(max_length=12, choices=DocumentKind.choices, verbose_name=_("kind"))
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    month = models.PositiveSmallIntegerField(verbose_name=_("month"))
    last_number = models.PositiveIntegerField(default=0, verbose_name=_("last number"))

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "month"],
                                    name="number_counter_unique_series_month"),
        ]

    def __str__(self):
        return f"{self.kind} {self.year}/{self.month:02d}: {self.last_number}"


class DocumentStatus(models.TextChoices):
    WAITING_FOR_RATE = "waiting_for_rate", _("waiting for the NBP rate")
    ISSUED = "issued", _("issued")


class Document(models.Model):
    """A pro-forma, VAT invoice or corrective invoice. See the module docstring for invariants."""

    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=DocumentStatus.choices)
    account = models.ForeignKey("seats.Account", on_delete=models.PROTECT,
                                related_name="documents", verbose_name=_("account"))
    order = models.ForeignKey("plans.Order", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="documents", verbose_name=_("order"))
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="corrections",
                                 verbose_name=_("corrected document"))
    # e.g. FV/2026/11/0001; empty while waiting for a rate
    number = models.CharField(_("number"), max_length=40, blank=True)
    number_year = models.PositiveSmallIntegerField(null=True, blank=True,
                                                   verbose_name=_("numbering year"))
    number_month = models.PositiveSmallIntegerField(null=True, blank=True,
                                                    verbose_name=_("numbering month"))
    sequence = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("sequence number"))
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    sale_date = models.DateField(_("sale date"))
    due_date = models.DateField(_("payment due"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    # Frozen snapshots (JSON) of the parties as they were at issuing
    seller = models.JSONField(_("seller"))
    buyer = models.JSONField(_("buyer"))
    ordering_party = models.JSONField(_("ordering party"), null=True, blank=True)
    # "23", "reverse_charge" or "np" (see billing_site.vat)
    vat_code = models.CharField(_("VAT treatment"), max_length=20)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    # VAT in PLN for foreign-currency documents that carry VAT (NBP table A, last business day
    # before the issue date)
    vat_pln = models.DecimalField(_("VAT in PLN"), max_digits=12, decimal_places=2, null=True,
                                  blank=True)
    exchange_rate = models.DecimalField(_("NBP rate"), max_digits=12, decimal_places=6,
                                        null=True, blank=True)
    exchange_rate_date = models.DateField(_("NBP rate date"), null=True, blank=True)
    exchange_rate_table = models.CharField(_("NBP table"), max_length=40, blank=True)
    # What a correction changes, in words (e.g. "buyer data")
    correction_reason = models.CharField(_("reason for correction"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)
    # how the order was paid when this VAT invoice was issued ("card", "blik", "p24",
    # "transfer"): the PDF then says "paid" instead of asking for a transfer; empty otherwise
    paid_by = models.CharField(_("paid by"), max_length=10, blank=True)
    # PDF bookkeeping: rendered by a Celery task from `needs_render`; `pdf_fingerprint` is the
    # hash of the content the stored PDF shows, so an unchanged document is never re-rendered.
    pdf = models.FileField(_("PDF"), upload_to="documents/%Y/%m/", blank=True)
    pdf_fingerprint = models.CharField(max_length=64, blank=True, verbose_name=_("PDF fingerprint"))
    needs_render = models.BooleanField(default=True, db_index=True,
                                       verbose_name=_("PDF to be rendered"))
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("issued by"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    # Fields that may change after issuing (everything else is frozen).
    MUTABLE_AFTER_ISSUE = frozenset(
        {"note", "pdf", "pdf_fingerprint", "needs_render", "emailed_at"}
    )

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""),
                                    name="document_number_unique"),
            models.UniqueConstraint(
                fields=["kind", "number_year", "number_month", "sequence"],
                condition=Q(sequence__isnull=False), name="document_sequence_unique",
            ),
            models.CheckConstraint(
                condition=Q(status="waiting_for_rate", number="", sequence__isnull=True)
                | Q(status="issued", sequence__isnull=False, issue_date__isnull=False)
                & ~Q(number=""),
                name="document_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(kind="correction", corrects__isnull=False)
                | (~Q(kind="correction") & Q(corrects__isnull=True)),
                name="document_correction_refers_to_original",
            ),
            # An order has at most one VAT invoice and at most one pro-forma (its corrections
            # are as many as needed); the services return the existing one instead.
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(order__isnull=False, kind__in=["invoice", "proforma"]),
                name="document_one_invoice_and_proforma_per_order",
            ),
        ]
        indexes = [models.Index(fields=["account", "issue_date"])]

    def __str__(self):
        return self.number or f"({self.get_kind_display()} #{self.pk}, {self.status})"

    def save(self, *args, **kwargs):
        """Issued documents are immutable: only MUTABLE_AFTER_ISSUE fields may be saved."""
        if self.pk is not None:
            update_fields = kwargs.get("update_fields")
            stored_status = (Document.objects.filter(pk=self.pk)
                             .values_list("status", flat=True).first())
            if stored_status == DocumentStatus.ISSUED and (
                update_fields is None or not set(update_fields) <= self.MUTABLE_AFTER_ISSUE
            ):
                raise DomainError(
                    _("Issued documents cannot be changed; issue a correction instead."),
                    code="document_immutable", status=409,
                )
        super().save(*args, **kwargs)


class DocumentLine(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines",
                                 verbose_name=_("document"))
    position = models.PositiveSmallIntegerField(_("position"))
    description = models.CharField(_("description"), max_length=300)
    # Service period the line covers, when it is a seat or add-on renewal
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=20, default="szt.")
    unit_price = models.DecimalField(_("unit net price"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2)
    vat_code = models.CharField(_("VAT treatment"), max_length=20)

    class Meta:
        verbose_name = _("document line")
        verbose_name_plural = _("document lines")
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"],
                                    name="document_line_position_unique"),
        ]

    def __str__(self):
        return f"{self.document} #{self.position}"


class DocumentVatTotal(models.Model):
    """Totals per VAT rate: VAT is computed once per rate on that rate's net total (SPEC §2)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="vat_totals",
                                 verbose_name=_("document"))
    vat_code = models.CharField(_("VAT treatment"), max_length=20)
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    # VAT in PLN of a foreign-currency document (the NBP rate applied), else empty
    vat_pln = models.DecimalField(_("VAT in PLN"), max_digits=12, decimal_places=2, null=True,
                                  blank=True)

    class Meta:
        verbose_name = _("document VAT total")
        verbose_name_plural = _("document VAT totals")
        ordering = ["document", "-vat_rate"]
        constraints = [
            models.UniqueConstraint(fields=["document", "vat_code"],
                                    name="document_vat_total_unique"),
        ]

    def __str__(self):
        return f"{self.document} {self.vat_code}"


class ContractInvoice(models.Model):
    """The VAT invoice of one contract account for one calendar month (SPEC §3, issue 11): at
    most one per account and month (unique constraint), so month-end invoicing run twice, or
    twice at once, issues each invoice once. Written only by `invoices.services.contract_documents`
    in the transaction that issues the document; never changed afterwards (a wrong invoice is
    corrected by a corrective invoice of `document`, the row stays)."""

    account = models.ForeignKey("seats.Account", on_delete=models.PROTECT,
                                related_name="contract_invoices", verbose_name=_("account"))
    # The first day of the invoiced month (the period is the whole calendar month).
    month = models.DateField(_("month"))
    document = models.OneToOneField(Document, on_delete=models.PROTECT,
                                    related_name="contract_invoice", verbose_name=_("document"))
    # The confirmed seat count the invoice bills (seats.ConfirmedSeatCount on the month's 1st).
    seats = models.PositiveIntegerField(_("seats invoiced"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "account"]
        verbose_name = _("contract invoice")
        verbose_name_plural = _("contract invoices")
        constraints = [
            models.UniqueConstraint(fields=["account", "month"],
                                    name="contract_invoice_one_per_account_month"),
            models.CheckConstraint(condition=Q(month__day=1),
                                   name="contract_invoice_month_first_day"),
        ]

    def __str__(self):
        return f"{self.account} {self.month:%Y-%m}: {self.document}"


class InvoiceTransfer(models.Model):
    """A bank transfer finance received against a contract invoice (SPEC §3; issue 11), booked
    by `invoices.services.invoice_transfers.invoice_transfer_book`. An append-only ledger: rows
    are never changed or deleted, and what is paid is derived from them.

    Invariants:
    - `amount` > 0, in the invoice's `currency` (the service refuses another currency);
    - the invoice is paid when the sum of its transfers reaches the gross its correction chain
      leaves (`invoices.selectors_overdue`); partial transfers leave it overdue for the rest;
    - `overpaid` is the part of this transfer above what was still due when it was booked
      (computed under the invoice's row lock, so two bookings at once cannot both see the same
      remainder); it is kept here, never dropped, and shown to finance for a refund or credit.

    It lives in invoices, not payments, because the overdue read (`selectors_overdue`, in
    invoices) must see it and invoices sits below payments in the layer contract."""

    account = models.ForeignKey("seats.Account", on_delete=models.PROTECT,
                                related_name="invoice_transfers", verbose_name=_("account"))
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="transfers",
                                 verbose_name=_("invoice"))
    # what arrived, in `currency`, 2 places
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    # the part of `amount` above what was still due at booking (0 when nothing was overpaid)
    overpaid = models.DecimalField(_("overpaid"), max_digits=12, decimal_places=2,
                                   default=0)
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("transfer title / reference"), max_length=200)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("booked by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invoice transfer")
        verbose_name_plural = _("invoice transfers")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0),
                                   name="invoice_transfer_amount_positive"),
            models.CheckConstraint(condition=Q(overpaid__gte=0) & Q(overpaid__lte=F("amount")),
                                   name="invoice_transfer_overpaid_within_amount"),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} → {self.document}"


# KSeF status rows live in their own module (issue 15); imported here so Django registers them.
from .ksef.models import KSEF_TRANSITIONS, KsefStatus, KsefSubmission  # noqa: E402, F401
