"""Reads of dunning state for pages and the API (scoped: each takes the account)."""

from datetime import date

from payments.models import SavedCard

from .services.recurring import UNREAD, recurring_next_charge_on


def recurring_overview(*, account, as_of: date, valid_until=UNREAD) -> dict:
    """Recurring card payments of `account` on business date `as_of` (SPEC §6):
    `{"enabled": bool, "card": {"brand", "last4", "exp_month", "exp_year"} | None,
    "billing_period": "monthly" | "annual", "next_charge_on": date | None}`. One query without
    a recurring card (the card), a few with one; `valid_until` (the account's validity end) may
    be passed by a caller that has read it."""
    card = SavedCard.objects.filter(account=account).first()
    return {
        "enabled": bool(card and card.recurring),
        "card": None if card is None else {
            "brand": card.brand, "last4": card.last4, "exp_month": card.exp_month,
            "exp_year": card.exp_year},
        "billing_period": account.billing_period,
        "next_charge_on": recurring_next_charge_on(account=account, as_of=as_of, card=card,
                                                   valid_until=valid_until),
    }
