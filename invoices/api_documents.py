"""REST API of documents (SPEC §7), under /api/v1/:

- GET  accounts/{account_id}/documents/  the account's documents (its admins and staff)
- GET  documents/{document_id}/          one document with parties, lines and VAT totals
- GET  documents/{document_id}/pdf/      the stored PDF (409 while it is being prepared)
- GET  documents/{document_id}/ksef.xml  the FA(3) e-invoice XML of a VAT or corrective invoice
- POST documents/{document_id}/note/     set the note printed on a VAT invoice

Documents carry their KSeF status (issue 15: `ksef_status`, `ksef_number`,
`ksef_rejection_reason`; `selectors.document_ksef_state`). Sending a rejected one again is a
finance action of the finance page only: this API has no finance role (staff pass as staff).

Conventions of `seats.api`: authenticated (401) → access decision (403) → the document (or
account) among those the requester may see (404: another tenant's ids look like ids that do not
exist) → the role on its account (403: admins and staff only). Refusals of
`invoices.services.rendering` are `DomainError`s, mapped to JSON by
`billing_site.api.exception_handler`. Downloads serve the stored file; nothing renders here.
"""

from django.http import FileResponse
from django.urls import path
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.fields import empty
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from billing_site.api import ErrorOutputSerializer, InputSerializer, error_responses
from billing_site.dates import today
from billing_site.inputs import StrictDateField, StrictIntegerField
from billing_site.money import Currency
from plans.services import order_refresh, orders_refresh
from seats.api import AccountScopedApi
from seats.permissions import HasProductAccess, IsAccountAdmin
from seats.selectors import accounts_visible_to

from . import selectors
from .ksef.documents import fa3_attachment
from .ksef.models import KsefStatus
from .models import Document, DocumentKind, DocumentStatus
from .services import rendering

VAT_CODES = ["23", "reverse_charge", "np"]


def _amount(help_text, **kwargs):
    """A money amount: a string with two decimals, e.g. "72.57"."""
    return serializers.DecimalField(max_digits=14, decimal_places=2, help_text=help_text,
                                    **kwargs)


class EnumField(serializers.CharField):
    """A string out of `values`, documented as the named enum component `component` (shared by
    every serializer that uses it). Left to drf-spectacular, "kind" and "status" here would clash
    with the orders' fields of the same names (a warning: `spectacular --fail-on-warn` fails)."""

    def __init__(self, *, component, values, **kwargs):
        self.component = component
        self.values = list(values)
        super().__init__(**kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField
    match_subclasses = True  # e.g. KsefStatusField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        component = ResolvedComponent(
            name=field.component, type=ResolvedComponent.SCHEMA, object=field.component,
            schema={"type": "string", "enum": field.values},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def _enum(component, values, help_text):
    return EnumField(component=component, values=values, help_text=help_text)


class KsefStatusField(EnumField):
    """The document's KSeF status (issue 15), read from its submission row: null for a pro-forma
    (not a tax document) and for an invoice still waiting for its NBP rate (no e-invoice yet)."""

    def __init__(self):
        super().__init__(
            component="DocumentKsefStatusEnum",
            values=KsefStatus.values,
            source="*", read_only=True, allow_null=True,
            help_text="Where the e-invoice stands in KSeF: not_sent (no submission: issued "
                      "before sending was configured, or sending is off), queued, sent "
                      "(awaiting KSeF's answer), accepted or rejected; null for a pro-forma and "
                      "for an invoice waiting for its NBP rate, which have no e-invoice.")

    def to_representation(self, document):
        state = selectors.document_ksef_state(document)
        return state.status if state is not None else None


# --- output -------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="DocumentParty")
class PartyOutputSerializer(serializers.Serializer):
    """Buyer or ordering party as printed on the document (a snapshot taken when issuing)."""

    kind = serializers.CharField(required=False, help_text="company or person (buyer only).")
    name = serializers.CharField()
    street = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 country code.")
    tax_id = serializers.CharField(allow_blank=True,
                                   help_text="NIP or EU VAT id; empty for a natural person.")
    invoice_email = serializers.CharField(required=False, help_text="Buyer only.")


@extend_schema_serializer(component_name="DocumentSeller")
class SellerOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    street = serializers.CharField()
    postal_code = serializers.CharField()
    city = serializers.CharField()
    country = serializers.CharField()
    tax_id = serializers.CharField(help_text="The seller's NIP.")
    bank_account = serializers.CharField(required=False)
    bank_name = serializers.CharField(required=False)


@extend_schema_serializer(component_name="DocumentLine")
class LineOutputSerializer(serializers.Serializer):
    position = StrictIntegerField(help_text="Lp., from 1.")
    description = serializers.CharField()
    period_start = StrictDateField(allow_null=True,
                                         help_text="First day of the service period, if any.")
    period_end = StrictDateField(allow_null=True,
                                       help_text="Last day of the service period (inclusive).")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=4)
    unit = serializers.CharField()
    unit_price = _amount("Unit net price.")
    net = _amount("quantity × unit price, rounded once.")
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2,
                                        help_text="Percent; 0.00 for reverse charge and np.")
    vat_code = _enum("DocumentVatCodeEnum", VAT_CODES,
                     "23, reverse_charge (odwrotne obciążenie) or np (outside the EU, not "
                     "subject to Polish VAT).")


@extend_schema_serializer(component_name="DocumentVatTotal")
class VatTotalOutputSerializer(serializers.Serializer):
    vat_code = _enum("DocumentVatCodeEnum", VAT_CODES, "VAT treatment of this total.")
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    net = _amount("Net of the lines at this rate.")
    vat = _amount("VAT computed once on that net.")
    gross = _amount("net + vat.")
    vat_pln = _amount("This VAT in PLN (foreign-currency documents with VAT).", allow_null=True)


class _DocumentBaseSerializer(serializers.Serializer):
    id = StrictIntegerField()
    kind = _enum("DocumentKindEnum", DocumentKind.values, "proforma, invoice or correction.")
    number = serializers.CharField(help_text="e.g. FV/2026/11/0001; empty while waiting for "
                                             "the NBP rate.")
    status = _enum("DocumentStatusEnum", DocumentStatus.values,
                   "issued, or waiting_for_rate (not numbered yet).")
    issue_date = StrictDateField(allow_null=True)
    currency = serializers.ChoiceField(choices=Currency.choices,
                                       help_text="Currency of every amount.")
    net = _amount("Net total.")
    vat = _amount("VAT total.")
    gross = _amount("Gross total.")
    corrects = StrictIntegerField(source="corrects_id", allow_null=True,
                                        help_text="Corrective invoices: id of the corrected "
                                                  "document; null otherwise.")
    pdf_ready = serializers.SerializerMethodField(
        help_text="True when the PDF is stored and can be downloaded."
    )
    void = serializers.SerializerMethodField(
        help_text="True for a pro-forma whose order was cancelled or expired: it asks for no "
                  "payment any more (the document itself stays as issued)."
    )
    void_reason = serializers.SerializerMethodField(
        help_text="Why it is void, in the request's language, e.g. \"order cancelled: the "
                  "package has changed since it was quoted\"; empty when not void."
    )

    ksef_status = KsefStatusField()
    ksef_number = serializers.SerializerMethodField(
        help_text="The number KSeF gave the e-invoice, e.g. 5260250995-20261205-0100001AF629-AF; "
                  "empty unless `ksef_status` is accepted."
    )
    ksef_rejection_reason = serializers.SerializerMethodField(
        help_text="Why KSeF (or the FA(3) schema check before sending) refused it, as given; "
                  "empty unless `ksef_status` is rejected."
    )

    @extend_schema_field(OpenApiTypes.STR)
    def get_ksef_number(self, document):
        state = selectors.document_ksef_state(document)
        return state.ksef_number if state is not None else ""

    @extend_schema_field(OpenApiTypes.STR)
    def get_ksef_rejection_reason(self, document):
        state = selectors.document_ksef_state(document)
        return state.rejection_reason if state is not None else ""

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_pdf_ready(self, document):
        return bool(document.pdf)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_void(self, document):
        return bool(selectors.document_void_reason(document))

    @extend_schema_field(OpenApiTypes.STR)
    def get_void_reason(self, document):
        return selectors.document_void_reason(document)


@extend_schema_serializer(component_name="DocumentSummary")
class DocumentSummaryOutputSerializer(_DocumentBaseSerializer):
    pass


@extend_schema_serializer(component_name="Document")
class DocumentOutputSerializer(_DocumentBaseSerializer):
    sale_date = StrictDateField()
    due_date = StrictDateField(allow_null=True, help_text="Null for corrections.")
    vat_pln = _amount("VAT in PLN at the NBP rate; null unless a foreign-currency document "
                      "carries VAT.", allow_null=True)
    exchange_rate = serializers.DecimalField(max_digits=12, decimal_places=6, allow_null=True,
                                             help_text="NBP table A mid rate (PLN per unit).")
    exchange_rate_date = StrictDateField(allow_null=True,
                                               help_text="Date of that NBP table.")
    exchange_rate_table = serializers.CharField(allow_blank=True,
                                                help_text="NBP table number, e.g. 221/A/NBP/2026.")
    vat_code = _enum("DocumentVatCodeEnum", VAT_CODES, "VAT treatment of the buyer.")
    seller = SellerOutputSerializer()
    buyer = PartyOutputSerializer()
    ordering_party = PartyOutputSerializer(allow_null=True)
    lines = LineOutputSerializer(many=True)
    vat_totals = VatTotalOutputSerializer(many=True)
    note = serializers.CharField(allow_blank=True, help_text="Printed on the PDF.")


@extend_schema_serializer(component_name="DocumentNoteInput")
@extend_schema_field({"type": "string", "minLength": 1,
                      "maxLength": rendering.NOTE_MAX_LENGTH})
class NoteField(serializers.CharField):
    """The note's text. Not empty and at most `NOTE_MAX_LENGTH` characters after trimming: the
    service checks both and reports them with the length it counted; the schema states them so
    that a generated client does not send what is refused. A blank note is passed on to the
    service (not refused here with DRF's message) so that it is told the service's way."""

    def run_validation(self, data=empty):
        if isinstance(data, str) and not data.strip():
            return ""
        return super().run_validation(data)


class DocumentNoteInputSerializer(InputSerializer):
    note = NoteField(trim_whitespace=True,
                     help_text="Text printed on the invoice (1-500 characters).")



class PdfNotReady(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The PDF of this document is being prepared; try again in a "
                                  "minute.")
    default_code = "pdf_not_ready"


def _documenterror_responses(*codes):
    errors = error_responses(*codes)
    if 404 in errors:
        errors[404] = OpenApiResponse(ErrorOutputSerializer, description="No such document.")
    return errors


# --- scoping ------------------------------------------------------------------------------------


class IsDocumentsAdmin(IsAccountAdmin):
    message = gettext_lazy("Only administrators of this organisation can see its invoices.")


class DocumentScopedApi(APIView):
    """Base of /documents/{document_id}/...: the document must belong to an account the requester
    may see (404), then the requester must be an admin of it or staff (403)."""

    permission_classes = [IsAuthenticated, HasProductAccess, IsDocumentsAdmin]
    billing_api = True  # documents are billing pages (SPEC §6)

    def get_document(self, document_id):
        document = (
            Document.objects.filter(pk=document_id,
                                    account__in=accounts_visible_to(self.request.user))
            .select_related("account", "corrects", "order", "ksef_submission")
            .prefetch_related("lines", "vat_totals").first()
        )
        if document is None:
            raise NotFound()
        self.check_object_permissions(self.request, document.account)
        return document

    def document_response(self, document_id):
        document = self.get_document(document_id)  # re-read: the note may have changed
        if document.order is not None:
            # an order that can no longer be paid is closed first: its pro-forma shows as void
            document.order = order_refresh(order=document.order, as_of=today())
        return Response(DocumentOutputSerializer(document).data)


# --- views --------------------------------------------------------------------------------------


class AccountDocumentListApi(AccountScopedApi):
    """The account's documents, newest first (without lines; GET the document for those). A
    pro-forma of a cancelled or expired order is marked `void`, with the reason."""

    permission_classes = [IsAuthenticated, HasProductAccess, IsDocumentsAdmin]

    @extend_schema(
        operation_id="documents_list", tags=["documents"],
        responses={200: DocumentSummaryOutputSerializer(many=True),
                   **error_responses(401, 403, 404)},
    )
    def get(self, request, account_id):
        account = self.get_account(account_id)
        # orders that can no longer be paid are closed first: their pro-formas show as void
        orders_refresh(account=account, as_of=today())
        documents = selectors.documents_for_account(account=account)
        return Response(DocumentSummaryOutputSerializer(documents, many=True).data)


class DocumentDetailApi(DocumentScopedApi):
    """One document as issued: parties, lines, totals per VAT rate, PLN VAT and the note."""

    @extend_schema(
        operation_id="documents_retrieve", tags=["documents"],
        responses={200: DocumentOutputSerializer, **_documenterror_responses(401, 403, 404)},
    )
    def get(self, request, document_id):
        return self.document_response(document_id)


class DocumentFileApi(DocumentScopedApi):
    """Base of the file downloads: clients ask for the file's type (application/pdf,
    application/xml); errors are still answered in JSON."""

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


class DocumentPdfApi(DocumentFileApi):
    """The stored PDF. 409 while it is not rendered yet (it is rendered in the background after
    issuing, never on request)."""

    @extend_schema(
        operation_id="documents_pdf", tags=["documents"],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY,
                                                      description="The PDF file."),
            **_documenterror_responses(401, 403, 404),
            409: OpenApiResponse(ErrorOutputSerializer,
                                 description="The PDF is being prepared; try again later."),
        },
    )
    def get(self, request, document_id):
        document = self.get_document(document_id)
        if not document.pdf:
            raise PdfNotReady()
        try:
            stored = document.pdf.open("rb")
        except FileNotFoundError:
            raise PdfNotReady() from None
        return FileResponse(stored, as_attachment=True,
                            filename=rendering.document_file_name(document),
                            content_type="application/pdf")


class DocumentFa3Api(DocumentFileApi):
    """The FA(3) e-invoice XML (issue 15) of a VAT invoice or corrective invoice, validated against
    the official schema; same permissions as the PDF. A pro-forma has none (404)."""

    @extend_schema(
        operation_id="documents_ksef_xml", tags=["documents"],
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY,
                                                      description="The FA(3) XML file."),
            **_documenterror_responses(401, 403, 404),
            409: OpenApiResponse(ErrorOutputSerializer,
                                 description="Waiting for its NBP rate, or not valid FA(3)."),
        },
    )
    def get(self, request, document_id):
        return fa3_attachment(self.get_document(document_id))


class DocumentNoteApi(DocumentScopedApi):
    """Set the note printed on a VAT invoice or corrective invoice; the PDF is re-rendered in the
    background (`pdf_ready` stays true meanwhile: the previous PDF is served until then)."""

    @extend_schema(
        operation_id="documents_note", tags=["documents"], request=DocumentNoteInputSerializer,
        responses={200: DocumentOutputSerializer,
                   **_documenterror_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, document_id):
        document = self.get_document(document_id)
        serializer = DocumentNoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rendering.document_note_add(account=document.account, document=document,
                                    note=serializer.validated_data["note"], actor=request.user,
                                    as_of=today())
        return self.document_response(document_id)


urlpatterns = [
    path("accounts/<int:account_id>/documents/", AccountDocumentListApi.as_view(),
         name="account-documents"),
    path("documents/<int:document_id>/", DocumentDetailApi.as_view(), name="document"),
    path("documents/<int:document_id>/pdf/", DocumentPdfApi.as_view(), name="document-pdf"),
    path("documents/<int:document_id>/ksef.xml", DocumentFa3Api.as_view(),
         name="document-ksef-xml"),
    path("documents/<int:document_id>/note/", DocumentNoteApi.as_view(), name="document-note"),
]
