"""`{% recurring_payments_card account %}`: the Renew page's "Recurring payments" card (SPEC §6),
rendered from dunning's state so that the plans page imports nothing of dunning."""

from datetime import timedelta

from django import template

from billing_site.dates import today
from catalogue.models import BillingPolicy

from ..selectors import recurring_overview
from ..services.recurring import account_valid_until

register = template.Library()


@register.inclusion_tag("dunning/includes/recurring_card.html", takes_context=True)
def recurring_payments_card(context, account, known=None):
    """Context of the card: `recurring` (see `recurring_overview`), the CSRF token and, for the
    "off" state, `valid_until` (the account's validity end) and `blocked_on` (the first day
    only administrators can log in unless renewed: after the grace days, as the e-mail sent on
    turning off says). `known`: {"valid_until", "grace_days"} the page has read already (the
    Renew page's quote basis), so that the card reads only the saved card (issue 16)."""
    known = known or {}
    valid_until = (known["valid_until"] if "valid_until" in known
                   else account_valid_until(account.pk))
    if valid_until:
        grace_days = (known["grace_days"] if "grace_days" in known
                      else BillingPolicy.current().grace_days)
        blocked_on = valid_until + timedelta(days=grace_days + 1)
    else:
        blocked_on = None
    return {"recurring": recurring_overview(account=account, as_of=today(),
                                            valid_until=valid_until),
            "valid_until": valid_until, "blocked_on": blocked_on,
            "csrf_token": context.get("csrf_token"), "account": account}
