"""Deleting payments' rows of one account when the account is deleted with its data (SPEC §6: an
unpaid trial account, 30 days after its trial ended). Called by `dunning.services.trials`."""

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing_site.errors import DomainError

from ..models import (
    OrderApplication,
    Payment,
    PaymentStatus,
    Refund,
    StripeCustomer,
    StripeEvent,
    TransferBooking,
)


def _money_received(account) -> list[str]:
    """What says money of the account was received (or given back), in words; empty if none."""
    found = []
    # each phrase is a literal ngettext call, so that makemessages finds its plural forms
    checks = [
        (Payment.objects.filter(account_id=account.pk, status=PaymentStatus.SUCCEEDED),
         lambda n: ngettext("%(count)d succeeded payment", "%(count)d succeeded payments", n)),
        (OrderApplication.objects.filter(order__account_id=account.pk),
         lambda n: ngettext("%(count)d applied order", "%(count)d applied orders", n)),
        (Refund.objects.filter(account_id=account.pk),
         lambda n: ngettext("%(count)d refund", "%(count)d refunds", n)),
        (TransferBooking.objects.filter(account_id=account.pk),
         lambda n: ngettext("%(count)d booked bank transfer", "%(count)d booked bank transfers",
                            n)),
    ]
    for rows, phrase in checks:
        count = rows.count()
        if count:
            found.append(phrase(count) % {"count": count})
    return found


def account_payments_purge(*, account) -> dict[str, int]:
    """Delete the account's payment attempts that moved no money (pending, requiring action,
    failed, cancelled — by card, BLIK, Przelewy24 or a pro-forma transfer), its Stripe customer
    row, and the stored Stripe webhook events about them (events whose object is one of those
    PaymentIntents or the customer, or refers to one of them). Returns how many rows of each
    kind went: "payments", "stripe_customers", "stripe_events".

    Refused with `DomainError` (code "account_has_money"), before anything is deleted, when
    money was received for the account or given back: a succeeded payment, an applied order
    (`OrderApplication`), a refund, or a booked bank transfer — matched, or unmatched and still
    to be followed up by finance. Those records are kept, so such an account is not deleted (an
    unpaid trial has none of them but an unmatched transfer: someone tried to pay, and finance
    must settle it first; the caller leaves the account alone and reports it).

    Stripe is not called: the customer and any PaymentIntent still waiting for the payer stay
    at Stripe. Should a payer still complete such an intent, its webhook finds no payment and
    stays a failed `StripeEvent` for the staff to refund.

    Runs first of the layers, inside the caller's transaction, which holds the account's lock
    (`seats.services.contracts.account_locked`). No row of payments is protected by a trigger:
    plain `QuerySet.delete()`."""
    money = _money_received(account)
    if money:
        raise DomainError(
            _("Money was received for the account (%(what)s): its records are kept, so the "
              "account and its data were not deleted.") % {"what": ", ".join(money)},
            code="account_has_money", status=409,
        )
    payments = Payment.objects.filter(account_id=account.pk)
    intents = [intent for intent in payments.values_list("stripe_payment_intent", flat=True)
               if intent]
    customers = list(StripeCustomer.objects.filter(account_id=account.pk)
                     .values_list("customer_id", flat=True))
    linked = Q(pk__in=[])
    if intents:
        linked |= (Q(payload__data__object__id__in=intents)
                   | Q(payload__data__object__payment_intent__in=intents))
    if customers:
        linked |= (Q(payload__data__object__id__in=customers)
                   | Q(payload__data__object__customer__in=customers))
    _deleted, events = StripeEvent.objects.filter(linked).delete()
    _deleted, deleted = payments.delete()
    _deleted, customer_rows = StripeCustomer.objects.filter(account_id=account.pk).delete()
    return {
        "payments": deleted.get(Payment._meta.label, 0),
        "stripe_customers": customer_rows.get(StripeCustomer._meta.label, 0),
        "stripe_events": events.get(StripeEvent._meta.label, 0),
    }
