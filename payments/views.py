"""Browser pages of payments (SPEC §5, issue 9).

Account admins (`seats.views.account_admin_required`: 403 for other members; every order and
payment is looked up among the admin's own account's, so another account's ids give 404):
- Payment page `/account/orders/<id>/pay/`: the order's total and what it extends, the methods
  its currency allows (`services.METHOD_CURRENCIES`): card through Stripe.js, BLIK (a code),
  Przelewy24, and a pro-forma for a bank transfer. Card, BLIK and Przelewy24 need JavaScript
  (static/js/payment.js): the page creates the PaymentMethod with Stripe.js and POSTs it to
  `payment_start` (JSON), which calls `services.payment_online_start`; 3-D Secure is finished on
  the page with Stripe.js. The pro-forma is a plain POST form (`payment_transfer`), so a browser
  without JavaScript can still pay by transfer.
- Result page `/account/orders/<id>/payment/<payment_id>/`: a card / BLIK / P24 payment shows a
  progress indication while it is pending or waiting for the card holder and polls
  `payment_status` (JSON), which re-reads the PaymentIntent from Stripe and syncs the payment
  (`services.payment_sync`), so the page does not depend on when the webhook arrives; then the
  new validity and the invoice, or the decline in plain words. A transfer payment shows its
  pro-forma: number, the seller's bank account, amount and transfer title, the PDF.

Finance staff (staff with `payments.add_transferbooking`; 403 for anyone else):
- `/finance/transfers/`: pending orders with a pro-forma, a booking form for each
  (`services.transfer_book`), "record as unmatched" when the amount does not match
  (`services.transfer_record_unmatched`), and the unmatched transfers.

Views are thin: the services decide, with `actor=request.user` and `as_of=today()`; a
`DomainError` is shown on the form field it names, else as a message. The few reads live here
rather than in a selectors module: they are single queries used by these pages only.
"""


from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_site import formatting
from billing_site.actions import post_only
from billing_site.dates import today
from billing_site.errors import DomainError
from billing_site.inputs import AmountFormField, StrictDateFormField, row_id
from billing_site.security import csp_allow, origin_of
from invoices.models import Document, DocumentKind
from plans import selectors as plan_selectors
from plans.models import Order, OrderStatus
from plans.services import order_quote, order_refresh
from seats.forms import attach_domain_error
from seats.views import account_admin_required

from . import gateway, services
from .models import (
    IN_FLIGHT,
    OrderApplication,
    Payment,
    PaymentMethod,
    PaymentStatus,
    TransferBooking,
    TransferStatus,
)
from .permissions import staff_permission_required

STRIPE_JS_URL = "https://js.stripe.com/v3/"
# localstripe serves its Stripe.js stand-in under the same path (payments.localstripe.js_url)
LOCAL_STRIPE_JS_PATH = "/js.stripe.com/v3/"
ONLINE_METHODS = [PaymentMethod.CARD, PaymentMethod.BLIK, PaymentMethod.P24]


def _stripe_js():
    """(URL of Stripe.js, whether it is localstripe's stand-in), or (None, False) when Stripe is
    not configured. With STRIPE_API_BASE (localstripe) the script comes from that server; with
    real keys from Stripe; never from anywhere else."""
    if not (settings.STRIPE_PUBLISHABLE_KEY and settings.STRIPE_SECRET_KEY):
        return None, False
    base = settings.STRIPE_API_BASE.rstrip("/")
    if base:
        return base + LOCAL_STRIPE_JS_PATH, True
    return STRIPE_JS_URL, False


def order_exists(request, account, order_id, **_kwargs) -> bool:
    """For `post_only`: `order_id` is an order of the admin's `account`."""
    return plan_selectors.order_of_account(account, order_id) is not None


def _order_or_404(account, order_id) -> Order:
    order = plan_selectors.order_of_account(account, order_id)
    if order is None:
        raise Http404
    return order


def _payment_or_404(order, payment_id) -> Payment:
    return get_object_or_404(Payment, pk=payment_id, order=order, account=order.account)


def _result_url(payment):
    return reverse("payments_payment", args=[payment.order_id, payment.pk])


def _invoice_of(order):
    application = OrderApplication.objects.filter(order=order).select_related("invoice").first()
    return application.invoice if application is not None else None


# --- payment page -------------------------------------------------------------------------------


@account_admin_required
def payment_page(request, account, order_id):
    order = order_refresh(order=_order_or_404(account, order_id), as_of=today())
    quote = order_quote(order)
    js_url, local_stripe = _stripe_js()
    methods = {method.value for method in ONLINE_METHODS
               if order.currency in services.METHOD_CURRENCIES[method]}
    if local_stripe:  # localstripe knows cards only: BLIK and Przelewy24 need a Stripe account
        methods &= {PaymentMethod.CARD.value}
    online = Payment.objects.filter(order=order, status__in=IN_FLIGHT).exclude(
        method=PaymentMethod.TRANSFER).first()
    transfer = Payment.objects.filter(order=order, method=PaymentMethod.TRANSFER).exclude(
        status=PaymentStatus.CANCELLED).order_by("-id").first()
    succeeded = Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).first()
    context = {
        "order": order,
        "quote": quote,
        "payable": order.status == OrderStatus.PENDING,
        "methods": methods,
        "stripe_js_url": js_url if methods & {"card", "blik", "p24"} else None,
        "stripe_key": settings.STRIPE_PUBLISHABLE_KEY,
        "local_stripe": local_stripe,
        "online_in_flight": online,
        "transfer": transfer,
        "succeeded": succeeded,
    }
    response = render(request, "payments/pay.html", context)
    if context["stripe_js_url"]:
        _allow_stripe(response, js_url, local=local_stripe)
    return response


def _allow_stripe(response, js_url, *, local):
    """The site's Content-Security-Policy allows scripts from itself only; the payment page also
    loads Stripe.js and lets it talk to its API and show its frames (3-D Secure) — Stripe's own
    origins, or localstripe's when it stands in."""
    if local:
        origin = origin_of(js_url)
        return csp_allow(response, script_src=[origin], connect_src=[origin],
                         frame_src=[origin])
    return csp_allow(response, script_src=["https://js.stripe.com"],
                     connect_src=["https://api.stripe.com"],
                     frame_src=["https://js.stripe.com", "https://hooks.stripe.com"],
                     img_src=["https://*.stripe.com"])


@account_admin_required
@post_only("payments_pay", url_kwargs=("order_id",), exists=order_exists)
def payment_start(request, account, order_id):
    """JSON for payment.js: start (or resume) a card / BLIK / Przelewy24 payment."""
    order = _order_or_404(account, order_id)
    method = request.POST.get("method", "")
    if method not in ONLINE_METHODS:
        return JsonResponse({"error": _("Choose card, BLIK or Przelewy24."), "field": "method"},
                            status=400)
    try:
        payment = services.payment_online_start(
            order=order, method=method,
            payment_method=request.POST.get("payment_method", "").strip() or None,
            save_card=request.POST.get("save_card") in ("1", "on", "true"),
            actor=request.user, as_of=today())
    except DomainError as exc:
        return JsonResponse({"error": str(exc.message), "field": exc.field, "code": exc.code},
                            status=exc.status)
    return JsonResponse({
        "id": payment.pk, "method": payment.method, "status": payment.status,
        # only the page that started the payment gets the secret (Stripe.js needs it)
        "client_secret": payment.client_secret,
        "decline_reason": payment.decline_reason,
        "result_url": _result_url(payment),
    }, status=201)


@account_admin_required
@post_only("payments_pay", url_kwargs=("order_id",), exists=order_exists)
def payment_transfer(request, account, order_id):
    """"Download a pro-forma for a bank transfer": issue it (once) and show it."""
    order = _order_or_404(account, order_id)
    try:
        payment = services.payment_transfer_start(order=order, actor=request.user,
                                                  as_of=today())
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("payments_pay", order_id=order.pk)
    return redirect(_result_url(payment))


# --- result -------------------------------------------------------------------------------------


def _sync_from_stripe(payment, actor):
    """Bring an online payment that is still pending or waiting for the card holder to Stripe's
    state (the webhook does the same; whichever comes first wins, the other changes nothing).
    Returns an error message for the person when the order could not be applied, else None."""
    if (payment.method == PaymentMethod.TRANSFER or payment.status not in IN_FLIGHT
            or not payment.stripe_payment_intent):
        return None
    try:
        intent = gateway.payment_intent_retrieve(payment.stripe_payment_intent)
        services.payment_sync(payment=payment, intent=intent, actor=actor, as_of=today())
    except gateway.GatewayError:
        return None  # Stripe unreachable for a moment: the page keeps waiting and asks again
    except DomainError as exc:  # paid, but the order can no longer be applied
        return str(exc.message)
    return None


def _result_state(order, payment):
    """"paid" (order applied), "failed" (declined / cancelled), "received" (money taken but the
    order not applied: support follows up) or "waiting"."""
    if order.status == OrderStatus.PAID:
        return "paid"
    if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELLED):
        return "failed"
    if payment.status == PaymentStatus.SUCCEEDED:
        return "received"
    return "waiting"


def _result_context(order, payment, problem=None):
    state = _result_state(order, payment)
    invoice = _invoice_of(order) if state == "paid" else None
    return {
        "order": order,
        "payment": payment,
        "state": state,
        "problem": problem,
        "valid_until": order_quote(order).valid_until,
        "invoice": invoice,
        "invoice_url": (reverse("payments_document_pdf", args=[invoice.pk])
                        if invoice is not None else ""),
        "status_url": reverse("payments_payment_status", args=[order.pk, payment.pk]),
        "seller": payment.proforma.seller if payment.proforma_id else settings.SELLER,
    }


@account_admin_required
def payment_result(request, account, order_id, payment_id):
    order = _order_or_404(account, order_id)
    payment = _payment_or_404(order, payment_id)
    if payment.method == PaymentMethod.TRANSFER and order.status == OrderStatus.PENDING:
        order = order_refresh(order=order, as_of=today())  # a void pro-forma says so
    return render(request, "payments/result.html", _result_context(order, payment))


@account_admin_required
def payment_status(request, account, order_id, payment_id):
    """What the result page polls: the payment and order status, synced from Stripe."""
    order = _order_or_404(account, order_id)
    payment = _payment_or_404(order, payment_id)
    problem = _sync_from_stripe(payment, request.user)
    payment.refresh_from_db()
    order.refresh_from_db()
    state = _result_state(order, payment)
    return JsonResponse({
        "state": state,
        "done": state != "waiting",
        "payment": {"id": payment.pk, "status": payment.status,
                    "decline_reason": payment.decline_reason},
        "order": {"id": order.pk, "status": order.status},
        "problem": problem,
    })


# --- finance: transfers -------------------------------------------------------------------------


# finance staff who may book transfers
finance_transfers_required = staff_permission_required("payments.add_transferbooking")


class TransferBookingForm(forms.Form):
    amount = AmountFormField(label=gettext_lazy("Amount received"))
    # an <input type="date"> reads and writes ISO dates, whatever the page's language
    received_on = StrictDateFormField(label=gettext_lazy("Received on"), input_formats=["%Y-%m-%d"],
                                  widget=forms.DateInput(attrs={"type": "date"},
                                                         format="%Y-%m-%d"))
    reference = forms.CharField(label=gettext_lazy("Transfer title / reference"),
                                max_length=200)
    note = forms.CharField(label=gettext_lazy("Note (for an unmatched transfer)"),
                           max_length=300, required=False)


def _booking_form(order, data=None, proforma=None):
    initial = {"received_on": today(), "reference": proforma.number if proforma else ""}
    return TransferBookingForm(data, prefix=f"order-{order.pk}", initial=initial)


def _render_transfers(request, *, forms_by_order=None, mismatch=None, status=200):
    forms_by_order = forms_by_order or {}
    proformas = (Document.objects.filter(kind=DocumentKind.PROFORMA,
                                         order__status=OrderStatus.PENDING)
                 .select_related("order", "account").order_by("issue_date", "id"))
    rows = [{"proforma": doc, "order": doc.order,
             "form": forms_by_order.get(doc.order_id) or _booking_form(doc.order, proforma=doc),
             "mismatch": mismatch == doc.order_id,
             "pdf_url": reverse("finance_document_pdf", args=[doc.pk])}
            for doc in proformas]
    unmatched = (TransferBooking.objects.filter(status=TransferStatus.UNMATCHED)
                 .select_related("account", "order").order_by("-received_on", "-id")[:200])
    return render(request, "payments/finance_transfers.html",
                  {"rows": rows, "unmatched": unmatched}, status=status)


@finance_transfers_required
def finance_transfers(request):
    if request.method != "POST":
        return _render_transfers(request)
    order_id = row_id(request.POST.get("order"))
    if order_id is None:  # not ASCII digits, or no bigint
        raise Http404
    order = get_object_or_404(Order, pk=order_id)
    form = _booking_form(order, request.POST)
    if not form.is_valid():
        return _render_transfers(request, forms_by_order={order.pk: form}, status=400)
    data = form.cleaned_data
    unmatched = request.POST.get("action") == "unmatched"
    try:
        if unmatched:
            booking = services.transfer_record_unmatched(
                order=order, amount=data["amount"], received_on=data["received_on"],
                reference=data["reference"], note=data["note"], actor=request.user,
                as_of=today())
        else:
            booking = services.transfer_book(
                order=order, amount=data["amount"], received_on=data["received_on"],
                reference=data["reference"], actor=request.user, as_of=today())
    except DomainError as exc:
        if exc.status == 409:  # paid meanwhile, or no longer payable: it left the list
            messages.error(request, str(exc.message))
            return redirect("finance_transfers")
        if not attach_domain_error(form, exc):
            form.add_error(None, str(exc.message))
        return _render_transfers(request, forms_by_order={order.pk: form},
                                 mismatch=order.pk if exc.code == "amount_mismatch" else None,
                                 status=exc.status)
    if unmatched:
        messages.success(request, _("The transfer of %(amount)s %(currency)s was recorded as "
                                    "unmatched for order #%(order)d; nothing was applied.")
                         % {"amount": formatting.amount(booking.amount),
                            "currency": booking.currency, "order": order.pk})
        return redirect(reverse("finance_transfers") + "#unmatched")
    invoice = _invoice_of(order)
    messages.success(request, _("Transfer booked: order #%(order)d of %(account)s is paid, its "
                                "seats are extended and invoice %(invoice)s is issued.")
                     % {"order": order.pk, "account": order.account.name,
                        "invoice": invoice.number if invoice is not None else "—"})
    return redirect("finance_transfers")
