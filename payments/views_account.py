"""The account's payments and refunds page (account admins): every payment with its status and
documents, the refunds, and — while allowed — the button that refunds the first purchase in full
(SPEC §7), behind a confirmation."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_site import formatting
from billing_site.actions import post_only
from billing_site.dates import today
from billing_site.errors import DomainError
from seats.views import account_admin_required

from . import selectors, services
from .models import Payment


class SelfRefundForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why are you asking for a refund?"),
                             max_length=300)
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the seats go back to their dates before this "
                           "purchase."),
        error_messages={"required": gettext_lazy("Tick the box to confirm the refund.")})


def _render(request, account, *, form=None, status=200):
    as_of = today()
    refundable = selectors.self_refundable_payment(account, as_of=as_of)
    context = {
        "payments": selectors.account_payments(account),
        "refunds": selectors.account_refunds(account),
        "refundable": refundable,
        "refund_form": form or SelfRefundForm(),
        "refund_days": services.SELF_SERVICE_REFUND_DAYS,
    }
    return render(request, "payments/account_payments.html", context, status=status)


@account_admin_required
def account_payments(request, account):
    return _render(request, account)


@account_admin_required
@post_only("account_payments", anchor="refund-first-purchase",
           exists=lambda request, account, payment_id: Payment.objects.filter(
               pk=payment_id, account=account).exists())
def self_refund(request, account, payment_id):
    """Refund the first purchase in full (the service checks every rule again)."""
    payment = Payment.objects.filter(pk=payment_id, account=account).first()
    if payment is None:
        raise Http404
    form = SelfRefundForm(request.POST)
    if not form.is_valid():
        return _render(request, account, form=form, status=400)
    try:
        refund = services.refund_create(payment=payment, reason=form.cleaned_data["reason"],
                                        by_finance=False, actor=request.user, as_of=today())
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("%(amount)s %(currency)s will be refunded; the corrective "
                                    "invoice is in your history.")
                         % {"amount": formatting.amount(refund.amount),
                            "currency": refund.currency})
    return redirect("account_payments")
