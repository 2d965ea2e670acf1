"""Browser pages of documents (SPEC §7): "Payments → History" for account admins and the finance
pages for vendor staff.
- History (`/account/history/`): the account's orders, payments and documents, PDF downloads and
  the add-note form of each VAT invoice. Pending orders that can no longer be paid are closed
  first (`plans.services.account_orders_refreshed`), and a pro-forma of a cancelled or expired
  order shows as void with the order's reason (`selectors.document_void_reason`; the finance
  list too).
  Admins only (403 for managers and users); every document id is looked up among the admin's
  account's documents, so another account's ids give 404.
- Finance (`/finance/documents/`): staff in the group "finance" and superusers (403 for anyone
  else). A GET filter form; the same query string drives the table, the zip of the stored PDFs and
  the CSV / XLSX exports (invoices.exports). The totals per currency are of tax documents only
  (`selectors.document_totals`: issued VAT invoices, corrections by their difference; no
  pro-formas) and say so.

KSeF (issue 15): the finance list shows each VAT / corrective invoice's KSeF status (the number
once accepted, the reason once rejected, the last error while retrying; from the list's own
query, `selectors.document_ksef_state`) and filters by it; a rejected one has a "Send to KSeF
again" form (`finance_document_ksef_resend`, POST only, `sending.submission_resend`).
History offers the FA(3) XML of the account's issued invoices and shows their KSeF number.

Corrections store the invoice as corrected, so wherever a list shows an amount of a correction
it shows its difference (what it changes: 0.00 for a buyer-data correction, negative for a
refund) with the value after correction beside it; the differences come from the list's own
query (`selectors.documents_with_difference`), never one query per row.

Downloads always serve the stored file and never render in the request: a document whose PDF is
not stored yet says "PDF being prepared" (the render task or its periodic sweep stores it).
"""

import logging
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_site.actions import post_only
from billing_site.dates import today
from billing_site.errors import DomainError
from billing_site.inputs import StrictDateFormField
from billing_site.money import Currency
from plans.services import account_orders_refreshed
from seats.forms import attach_domain_error
from seats.views import account_admin_required

from . import exports, selectors
from .ksef import sending
from .ksef.documents import fa3_attachment
from .ksef.models import KsefStatus
from .models import Document, DocumentKind, DocumentStatus
from .services import rendering

logger = logging.getLogger(__name__)

FINANCE_GROUP = "finance"
FINANCE_PAGE_SIZE = 100


# --- shared -------------------------------------------------------------------------------------


def pdf_response(document):
    """The stored PDF as a download, or None when there is none (yet)."""
    if not document.pdf:
        return None
    try:
        stored = document.pdf.open("rb")
    except FileNotFoundError:
        logger.warning("The stored PDF of %s (%s) is missing", document.number, document.pdf.name)
        return None
    return FileResponse(stored, as_attachment=True,
                        filename=rendering.document_file_name(document),
                        content_type="application/pdf")


def _being_prepared(request, document):
    messages.info(
        request,
        _("The PDF of %(number)s is being prepared. Try again in a minute.")
        % {"number": document.number or _("this document")},
    )


# --- Payments → History -------------------------------------------------------------------------


class NoteForm(forms.Form):
    # The rules (not empty, at most 500 characters) belong to the service, which names this field.
    note = forms.CharField(
        label=gettext_lazy("Note on the invoice"), required=False, strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": rendering.NOTE_MAX_LENGTH}),
        help_text=gettext_lazy("Printed on the invoice PDF (at most 500 characters)."),
    )


def _note_auto_id(document_pk):
    return f"id_note{document_pk}_%s"


def _order_url(order):
    try:
        return reverse("payments_order", args=[order.pk])
    except NoReverseMatch:  # the orders page belongs to the plans app
        return ""


def _render_history(request, account, *, note_forms=None, status=200):
    note_forms = note_forms or {}
    # A pending order that can no longer be paid is closed first (as its own page does), so the
    # list never offers it as "pending payment" and its pro-forma shows as void.
    orders = account_orders_refreshed(account=account, as_of=today())
    for order in orders:
        order.url = _order_url(order)
    documents = list(selectors.documents_with_difference(
        selectors.documents_for_account(account=account)
    ))
    for document in documents:
        document.void_reason = selectors.document_void_reason(document)
        document.ksef = selectors.document_ksef_state(document)
        document.note_form = None
        if document.kind in rendering.NOTE_KINDS and document.status == DocumentStatus.ISSUED:
            document.note_form = note_forms.get(document.pk) or NoteForm(
                initial={"note": document.note}, auto_id=_note_auto_id(document.pk)
            )
            document.note_open = document.pk in note_forms
    context = {"account": account, "orders": orders, "documents": documents}
    return render(request, "invoices/history.html", context, status=status)


@account_admin_required
def history_page(request, account):
    return _render_history(request, account)


@account_admin_required
def history_document_pdf(request, account, document_id):
    document = get_object_or_404(Document, pk=document_id, account=account)
    response = pdf_response(document)
    if response is None:
        _being_prepared(request, document)
        return redirect(reverse("payments_history") + "#documents")
    return response


@account_admin_required
def history_document_xml(request, account, document_id):
    """The FA(3) e-invoice XML of the account's VAT or corrective invoice (issue 15); when there
    is none (a pro-forma, waiting for its rate, not valid FA(3)), back to the list saying why."""
    document = get_object_or_404(Document, pk=document_id, account=account)
    try:
        return fa3_attachment(document)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(reverse("payments_history") + "#documents")


@account_admin_required
@post_only("payments_history", anchor="document-{document_id}",
           exists=lambda request, account, document_id: Document.objects.filter(
               pk=document_id, account=account).exists())
def history_document_note(request, account, document_id):
    document = get_object_or_404(Document, pk=document_id, account=account)
    form = NoteForm(request.POST, auto_id=_note_auto_id(document.pk))
    if form.is_valid():
        try:
            rendering.document_note_add(account=account, document=document,
                                        note=form.cleaned_data["note"], actor=request.user,
                                        as_of=today())
        except DomainError as exc:
            if not attach_domain_error(form, exc):
                messages.error(request, exc.message)
                return redirect(reverse("payments_history") + "#documents")
        else:
            messages.success(
                request,
                _("The note has been saved. The PDF of %(number)s is being updated.")
                % {"number": document.number},
            )
            return redirect(reverse("payments_history") + f"#document-{document.pk}")
    return _render_history(request, account, note_forms={document.pk: form}, status=400)


# --- finance ------------------------------------------------------------------------------------


def is_finance(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name=FINANCE_GROUP).exists()


def finance_required(view):
    """Login required; then staff of the group "finance" or superusers, 403 for anyone else."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_finance(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _any(label):
    return [("", label)]


class DocumentFilterForm(forms.Form):
    issued_from = StrictDateFormField(label=gettext_lazy("Issued from"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    issued_to = StrictDateFormField(label=gettext_lazy("Issued until"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    account = forms.CharField(label=gettext_lazy("Account"), required=False, max_length=200,
                              help_text=gettext_lazy("Part of the organisation's name."))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=_any(gettext_lazy("any kind")) + DocumentKind.choices)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), required=False,
                                 choices=_any(gettext_lazy("any currency")) + Currency.choices)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=_any(gettext_lazy("any status")) + DocumentStatus.choices)
    ksef_status = forms.ChoiceField(
        label=gettext_lazy("KSeF status"), required=False,
        choices=_any(gettext_lazy("any KSeF status")) + KsefStatus.choices,
        help_text=gettext_lazy("“Not sent”: issued VAT and corrective invoices that have not "
                               "been queued for KSeF."))

    def clean(self):
        data = super().clean()
        start, end = data.get("issued_from"), data.get("issued_to")
        if start and end and start > end:
            self.add_error("issued_to", _("The end date cannot be before the start date."))
        return data

    def documents(self):
        """The filtered documents (call after is_valid()), newest first."""
        data = self.cleaned_data
        qs = Document.objects.select_related("account", "ksef_submission")
        if data.get("issued_from"):
            qs = qs.filter(issue_date__gte=data["issued_from"])
        if data.get("issued_to"):
            qs = qs.filter(issue_date__lte=data["issued_to"])
        if data.get("account"):
            qs = qs.filter(account__name__icontains=data["account"])
        for field in ("kind", "currency", "status"):
            if data.get(field):
                qs = qs.filter(**{field: data[field]})
        if data.get("ksef_status"):
            qs = selectors.documents_with_ksef_status(qs, data["ksef_status"])
        return qs.order_by("-issue_date", "-id")


def _filtered(request):
    """(form, documents) from the query string; documents is None when the filter is invalid."""
    form = DocumentFilterForm(request.GET)  # bound even when empty: every field is optional
    if not form.is_valid():
        return form, None
    return form, form.documents()


def _render_finance(request, form, documents, *, status=200):
    context = {"form": form, "documents": None, "query": request.GET.urlencode()}
    if documents is not None:
        page = Paginator(selectors.documents_with_difference(documents.select_related("order")),
                         FINANCE_PAGE_SIZE).get_page(request.GET.get("page"))
        for document in page.object_list:
            document.admin_url = reverse("admin:invoices_document_change", args=[document.pk])
            document.void_reason = selectors.document_void_reason(document)
            document.ksef = selectors.document_ksef_state(document)
        params = request.GET.copy()
        params.pop("page", None)
        context.update(
            documents=page,
            page_query=params.urlencode(),
            totals=[_money_row(row) for row in selectors.document_totals(documents)],
        )
    return render(request, "invoices/finance_documents.html", context, status=status)


def _money_row(row):
    """Sums as 2-place Decimals whatever the database returns (SQLite sums decimals as floats)."""
    return {key: (Decimal(str(value)).quantize(Decimal("0.01"))
                  if key in ("net", "vat", "gross", "vat_pln") and value is not None else value)
            for key, value in row.items()}


@finance_required
def finance_documents(request):
    form, documents = _filtered(request)
    return _render_finance(request, form, documents, status=200 if documents is not None else 400)


@finance_required
def finance_document_pdf(request, document_id):
    document = get_object_or_404(Document, pk=document_id)
    response = pdf_response(document)
    if response is None:
        _being_prepared(request, document)
        return redirect("finance_documents")
    return response


@finance_required
def finance_document_xml(request, document_id):
    """The FA(3) e-invoice XML of a VAT or corrective invoice (issue 15). When there is none, or
    it does not validate, back to the list with the reason (the validator's message)."""
    document = get_object_or_404(Document, pk=document_id)
    try:
        return fa3_attachment(document)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("finance_documents")


def _finance_document_exists(request, document_id):
    return Document.objects.filter(pk=document_id).exists()


@finance_required
@post_only("finance_documents", anchor="document-{document_id}",
           exists=_finance_document_exists)
def finance_document_ksef_resend(request, document_id):
    """Queue a document KSeF rejected for sending again (issue 15); back to the list (with the
    filter of the page the form was on) saying what happened."""
    document = get_object_or_404(Document, pk=document_id)
    try:
        sending.submission_resend(document=document, actor=request.user, now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(number)s will be sent to KSeF again within a few "
                                    "minutes.") % {"number": document.number})
    query = request.GET.urlencode()
    return redirect(reverse("finance_documents") + (f"?{query}" if query else "")
                    + f"#document-{document.pk}")


def _export(request, build):
    form, documents = _filtered(request)
    if documents is None:
        return _render_finance(request, form, None, status=400)
    return build(documents)


@finance_required
def finance_documents_zip(request):
    def build(documents):
        if documents.count() > exports.ZIP_MAX_DOCUMENTS:
            messages.error(request, _(
                "A zip can hold at most %(max)d documents; narrow the filter."
            ) % {"max": exports.ZIP_MAX_DOCUMENTS})
            return redirect(reverse("finance_documents") + "?" + request.GET.urlencode())
        archive = exports.documents_zip(documents)
        return FileResponse(archive, as_attachment=True,
                            filename=f"documents-{today():%Y%m%d}.zip",
                            content_type="application/zip")

    return _export(request, build)


@finance_required
def finance_documents_csv(request):
    def build(documents):
        response = StreamingHttpResponse(exports.documents_csv(documents),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="documents-{today():%Y%m%d}.csv"'
        )
        return response

    return _export(request, build)


@finance_required
def finance_documents_xlsx(request):
    def build(documents):
        return FileResponse(exports.documents_xlsx(documents), as_attachment=True,
                            filename=f"documents-{today():%Y%m%d}.xlsx",
                            content_type=exports.XLSX_CONTENT_TYPE)

    return _export(request, build)
