"""The account's saved card and its recurring-payments switch (SPEC §6 "Recurring card
payments", §5 "enable recurring payments"). The only writer of `SavedCard`."""

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from seats.audit import audit_record

from .. import gateway
from ..models import SavedCard, StripeCustomer


def saved_card_store(*, account, customer: StripeCustomer, payment_method, recurring: bool,
                     actor, as_of) -> SavedCard:
    """Keep `payment_method` (the Stripe PaymentMethod object just attached to `customer`, or
    its "pm_…" id, re-read then) as the account's card for off-session charges, replacing any
    earlier one, with recurring payments switched to `recurring` (True when the admin ticked
    "enable recurring payments"). Copies brand, last four digits and expiry (month 1–12, four
    digit year) from Stripe. Writes an audit row. Raises `GatewayError` when Stripe cannot be
    read."""
    if isinstance(payment_method, str):
        payment_method = gateway.client().v1.payment_methods.retrieve(payment_method)
    card = getattr(payment_method, "card", None)
    fields = {
        "customer": customer, "payment_method": payment_method.id,
        "brand": str(getattr(card, "brand", "") or "")[:30],
        "last4": str(getattr(card, "last4", "") or "")[:4],
        "exp_month": getattr(card, "exp_month", None),
        "exp_year": getattr(card, "exp_year", None),
    }
    with transaction.atomic():
        saved = SavedCard.objects.select_for_update().filter(account=account).first()
        if saved is None:
            saved = SavedCard(account=account)
        for name, value in fields.items():
            setattr(saved, name, value)
        if saved.recurring != recurring:
            saved.recurring = recurring
            saved.recurring_changes += 1
            saved.recurring_changed_on = as_of
        saved.save()
        audit_record(account=account, actor=actor, action="card.save", target=saved,
                     after={"brand": saved.brand, "last4": saved.last4,
                            "recurring": saved.recurring})
    return saved


def recurring_switch(*, account, enabled: bool, actor, as_of) -> tuple[SavedCard | None, bool]:
    """Turn recurring card payments on or off for `account` (SPEC §6). Returns (the saved card
    or None, whether the switch changed). Locks the card row; writes an audit row with before
    and after when it changed. Raises `DomainError` (409, code "no_saved_card") when turning on
    an account that has no saved card: the admin first pays once with "enable recurring
    payments". Turning off an account without a card changes nothing."""
    with transaction.atomic():
        saved = SavedCard.objects.select_for_update().filter(account=account).first()
        if saved is None:
            if enabled:
                raise DomainError(
                    _("There is no saved card to charge. Pay a renewal by card with \"Enable "
                      "recurring payments\" ticked to save one."),
                    code="no_saved_card", status=409, field="enabled")
            return None, False
        if saved.recurring == enabled:
            return saved, False
        saved.recurring = enabled
        saved.recurring_changes += 1
        saved.recurring_changed_on = as_of
        saved.save(update_fields=["recurring", "recurring_changes", "recurring_changed_on",
                                  "saved_at"])
        audit_record(account=account, actor=actor, action="recurring.switch", target=saved,
                     before={"recurring": not enabled}, after={"recurring": enabled})
        return saved, True
