"""`{% recurring_payments_card account %}`: the Renew page's "Recurring payments" card (SPEC §6),
rendered from dunning's state so that the plans page imports nothing of dunning."""

from django import template

from billing_site.dates import today

from ..selectors import recurring_overview

register = template.Library()


@register.inclusion_tag("dunning/includes/recurring_card.html", takes_context=True)
def recurring_payments_card(context, account):
    """Context of the card: `recurring` (see `recurring_overview`) and the CSRF token."""
    return {"recurring": recurring_overview(account=account, as_of=today()),
            "csrf_token": context.get("csrf_token"), "account": account}
