from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_site import formatting
from billing_site.admin_mixins import ReadOnlyAdminMixin
from billing_site.dates import today
from billing_site.errors import DomainError

from .models import (
    BillingProfile,
    ContractInvoice,
    Document,
    DocumentLine,
    DocumentVatTotal,
    ExchangeRate,
    InvoiceTransfer,
    KsefSubmission,
    NumberCounter,
)
from .services.rates import FOREIGN_CURRENCIES, is_business_day, rate_enter_manually
from .services.waiting import documents_issue_waiting


@admin.register(BillingProfile)
class BillingProfileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: invoice data change only through `billing_profile_update` (the Invoice data
    page and the API), which checks the VAT id in VIES, issues the buyer-data correction, moves
    the account's currency with the country and writes the audit row — none of which a plain
    admin save would do."""

    list_display = ["account", "kind", "name", "country", "tax_id", "tax_id_status",
                    "invoice_email"]
    list_filter = ["kind", "country", "tax_id_status"]
    search_fields = ["name", "tax_id", "invoice_email", "account__name"]
    raw_id_fields = ["account"]


class ExchangeRateForm(forms.ModelForm):
    """A rate entered by hand (finance, when NBP has not delivered one): a foreign currency, a
    rate above zero with at most 6 decimals (as NBP publishes; the field's own check), for a
    business day (Mon–Fri, not a Polish holiday: only that exact day's rate is used) that is not
    after today's business date, and one per currency and day (the unique constraint, said
    plainly; a correction is a change of the existing rate, not a second one)."""

    class Meta:
        model = ExchangeRate
        fields = ["currency", "effective_date", "rate", "table_number"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "currency" in self.fields:
            self.fields["currency"].choices = [
                choice for choice in self.fields["currency"].choices
                if choice[0] in ("", *FOREIGN_CURRENCIES)]
        if "rate" in self.fields:
            self.fields["rate"].help_text = gettext_lazy(
                "PLN for one unit of the currency, at most 6 decimals, e.g. 4.2654.")
        if "effective_date" in self.fields:
            self.fields["effective_date"].help_text = gettext_lazy(
                "The business day of the NBP table (YYYY-MM-DD); not a weekend or holiday, "
                "not after today.")

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if rate is not None and rate <= Decimal(0):
            raise forms.ValidationError(_("The rate must be greater than zero."))
        return rate

    def clean_effective_date(self):
        day = self.cleaned_data["effective_date"]
        if self.instance.pk is not None:  # read-only on a change: the stored day
            return day
        if day > today():
            raise forms.ValidationError(
                _("The date %(date)s is in the future: NBP has not published that rate yet.")
                % {"date": formatting.day(day)})
        if not is_business_day(day):
            raise forms.ValidationError(
                _("%(date)s is not a business day: NBP publishes no table on weekends and "
                  "holidays.") % {"date": formatting.day(day)})
        return day

    def clean(self):
        data = super().clean()
        currency, day = data.get("currency"), data.get("effective_date")
        if self.instance.pk is None and currency and day:
            existing = ExchangeRate.objects.filter(currency=currency, effective_date=day).first()
            if existing is not None:
                # on the field: Django then skips its own unique-constraint message
                self.add_error("effective_date", forms.ValidationError(
                    _("There already is a %(currency)s rate for %(date)s (%(rate)s, source: "
                      "%(source)s). One rate per currency and day: correct that one instead.")
                    % {"currency": currency, "date": formatting.day(day), "rate": existing.rate,
                       "source": existing.get_source_display()}))
        return data


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """Staff may enter a rate by hand when NBP has not delivered one (source: manual). Finance's
    group holds add and view (see demo's `load_demo`); `ExchangeRateForm` validates the entry."""

    form = ExchangeRateForm

    list_display = ["currency", "effective_date", "rate", "table_number", "source"]
    list_filter = ["currency", "source"]
    search_fields = ["table_number"]
    date_hierarchy = "effective_date"

    fields = ["currency", "effective_date", "rate", "table_number"]

    def get_readonly_fields(self, request, obj=None):
        return ["currency", "effective_date"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        """Through the service: audited, marked manual; then the documents waiting for the rate
        are issued."""
        as_of = today()
        try:
            saved = rate_enter_manually(
                currency=obj.currency, effective_date=obj.effective_date, rate=obj.rate,
                table_number=obj.table_number, actor=request.user, as_of=as_of,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = saved.pk
        documents_issue_waiting(as_of=as_of)


@admin.register(NumberCounter)
class NumberCounterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: counters move only inside the issuing transaction."""

    list_display = ["kind", "year", "month", "last_number"]
    list_filter = ["kind", "year"]
    search_fields = ["kind"]


@admin.register(ContractInvoice)
class ContractInvoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Contract accounts' monthly invoices (issue 11), read-only: one per account and month,
    written by `invoice_contracts` with the document."""

    list_display = ["month", "account", "document", "seats", "created_at"]
    list_select_related = ["account", "document"]
    search_fields = ["account__name", "document__number"]
    date_hierarchy = "month"


@admin.register(KsefSubmission)
class KsefSubmissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each VAT / corrective invoice's way through KSeF (issue 15), read-only for ops: written
    only by `invoices.ksef.sending` (the `invoices.ksef_sync` job); finance resend rejected
    documents from the finance documents page."""

    list_display = ["document", "status", "ksef_number", "accepted_at", "attempts",
                    "next_attempt_at", "rejection_code", "updated_at"]
    list_select_related = ["document"]
    list_filter = ["status"]
    search_fields = ["document__number", "ksef_number", "invoice_reference"]
    date_hierarchy = "queued_at"


@admin.register(InvoiceTransfer)
class InvoiceTransferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Bank transfers booked against contract invoices (issue 11), read-only: an append-only
    ledger written by `invoice_transfer_book` from the finance contracts page."""

    list_display = ["received_on", "document", "account", "amount", "currency", "overpaid",
                    "reference", "booked_by", "created_at"]
    list_select_related = ["account", "document", "booked_by"]
    list_filter = ["currency"]
    search_fields = ["account__name", "document__number", "reference"]
    date_hierarchy = "received_on"


class DocumentLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DocumentLine
    extra = 0


class DocumentVatTotalInline(DocumentLineInline):
    model = DocumentVatTotal


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Documents are issued by the services and never edited here."""

    list_display = ["number", "kind", "status", "account", "issue_date", "currency", "net",
                    "gross", "needs_render", "emailed_at"]
    list_filter = ["kind", "status", "currency", "vat_code", "needs_render"]
    search_fields = ["number", "account__name", "buyer__name"]
    date_hierarchy = "issue_date"
    inlines = [DocumentLineInline, DocumentVatTotalInline]
    raw_id_fields = ["account", "order", "corrects", "issued_by"]


@admin.register(DocumentLine)
class DocumentLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["document", "position", "description", "period", "quantity", "unit_price",
                    "net", "vat_rate"]
    search_fields = ["document__number", "description"]
    list_filter = ["vat_code"]

    @admin.display(description=gettext_lazy("period"), ordering="period_start")
    def period(self, line):
        """The service period as the documents print it ("16 listopada 2026 – 30 listopada
        2026"), through the one date format of the site (`billing_site.formatting.day`)."""
        if line.period_start is None:
            return "—"
        return f"{formatting.day(line.period_start)} – {formatting.day(line.period_end)}"


@admin.register(DocumentVatTotal)
class DocumentVatTotalAdmin(DocumentLineAdmin):
    list_display = ["document", "vat_code", "vat_rate", "net", "vat", "gross", "vat_pln"]
    search_fields = ["document__number"]
