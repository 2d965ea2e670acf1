"""Finance refunds page `/finance/refunds/` (SPEC §7, issue 9), for finance staff (staff with
`payments.add_refund`; 403 for anyone else).

A search (GET `q`: an order number, "#12" or "12", or part of an account's name) lists the
matching succeeded payments, the latest 50, each with what is still refundable (its amount less
its refunds) and a refund form: an amount (empty: everything still paid), the reason, and for a
transfer payment the bank account the money is sent to. The form calls
`services.refund_create(by_finance=True)`, which decides; its `DomainError` is shown on the field
it names, else as a page message. Below: the latest refunds with their corrective invoices.
"""


from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_site import formatting
from billing_site.dates import today
from billing_site.errors import DomainError
from billing_site.inputs import AmountFormField, query_text
from seats.forms import attach_domain_error

from . import services
from .models import Payment, PaymentMethod, PaymentStatus, Refund
from .permissions import staff_permission_required

PAYMENTS_SHOWN = 50
REFUNDS_SHOWN = 50
MAX_ID = 2**63 - 1  # a larger number is no row's id (and would overflow the query)


# finance staff who may refund payments
finance_refunds_required = staff_permission_required("payments.add_refund")


class FinanceRefundForm(forms.Form):
    amount = AmountFormField(
        label=gettext_lazy("Amount to refund"), required=False,
        help_text=gettext_lazy("Leave empty to refund everything still paid."))
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300,
        error_messages={"required": gettext_lazy("Give the reason for the refund.")})
    bank_account = forms.CharField(
        label=gettext_lazy("Bank account the refund is sent to"), max_length=64,
        error_messages={"required": gettext_lazy("Enter the bank account the refund is sent to.")})


def _refund_form(payment, data=None):
    form = FinanceRefundForm(data, prefix=f"payment-{payment.pk}")
    if payment.method != PaymentMethod.TRANSFER:  # refunded through Stripe, to the card
        del form.fields["bank_account"]
    # what is still paid, written as the page's language writes amounts ("1 416,50" in Polish)
    form.fields["amount"].widget.attrs["placeholder"] = formatting.amount(
        payment.amount - payment.refunded_total)
    return form


def _search(q):
    """Succeeded payments whose order number is `q` or whose account's name contains it."""
    payments = Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
    if q:
        match = Q(account__name__icontains=q)
        number = q.removeprefix("#").strip()
        if number.isascii() and number.isdigit() and int(number) <= MAX_ID:
            match |= Q(order_id=int(number))
        payments = payments.filter(match)
    return (payments.select_related("account", "order", "proforma")
            .prefetch_related("refunds").order_by("-created_at", "-id")[:PAYMENTS_SHOWN])


def _page_url(q, payment=None):
    url = reverse("finance_refunds")
    if q:
        url += "?" + urlencode({"q": q})
    return url + (f"#payment-{payment.pk}" if payment is not None else "")


def _render(request, q, *, forms_by_payment=None, status=200):
    forms_by_payment = forms_by_payment or {}
    rows = []
    for payment in _search(q):
        remaining = payment.amount - payment.refunded_total
        rows.append({
            "payment": payment,
            "refunded": payment.refunded_total,
            "remaining": remaining,
            "form": ((forms_by_payment.get(payment.pk) or _refund_form(payment))
                     if remaining > 0 else None),
        })
    refunds = (Refund.objects.select_related("account", "payment", "correction")
               .order_by("-created_at", "-id")[:REFUNDS_SHOWN])
    return render(request, "payments/finance_refunds.html",
                  {"q": q, "rows": rows, "refunds": refunds, "shown": PAYMENTS_SHOWN,
                   "action_url": _page_url(q)}, status=status)


@finance_refunds_required
def finance_refunds(request):
    q = query_text(request.GET.get("q"))
    if request.method != "POST":
        return _render(request, q)
    payment_id = request.POST.get("payment", "")
    if not (payment_id.isascii() and payment_id.isdigit()) or int(payment_id) > MAX_ID:
        raise Http404
    payment = get_object_or_404(Payment, pk=int(payment_id))
    form = _refund_form(payment, request.POST)
    if not form.is_valid():
        return _render(request, q, forms_by_payment={payment.pk: form}, status=400)
    data = form.cleaned_data
    try:
        refund = services.refund_create(
            payment=payment, amount=data["amount"].strip() or None, reason=data["reason"],
            bank_account=data.get("bank_account", ""), by_finance=True, actor=request.user,
            as_of=today())
    except DomainError as exc:
        if not attach_domain_error(form, exc):
            messages.error(request, str(exc.message))
        return _render(request, q, forms_by_payment={payment.pk: form}, status=exc.status)
    correction = refund.correction
    messages.success(request, _("Refunded %(amount)s %(currency)s of payment #%(payment)d "
                                "(order #%(order)d, %(account)s); corrective invoice "
                                "%(correction)s.")
                     % {"amount": formatting.amount(refund.amount), "currency": refund.currency,
                        "payment": payment.pk, "order": payment.order_id,
                        "account": payment.account.name,
                        "correction": (correction.number or "—") if correction else "—"})
    return redirect(_page_url(q, payment))
