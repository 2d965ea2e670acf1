"""The Renew page's "Recurring payments" card posts here (SPEC §6, issue 11): turn recurring
card payments on for the saved card, or off. Administrators only (`account_admin_required`),
always on the requester's own account. The card itself is rendered by the template tag
`dunning_recurring.recurring_payments_card`, so the plans page needs no import of dunning."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing_site.actions import post_only
from billing_site.dates import today
from billing_site.errors import DomainError
from seats.views import account_admin_required

from .services.recurring import account_valid_until, recurring_payments_set


@account_admin_required
@post_only("payments_renew", anchor="recurring-payments")
def recurring_toggle(request, account):
    """POST `enabled` = "1" (on) or "0" (off); back to the card with a message. Turning off
    names the day the seats stay valid until (the e-mail to the admins says the same)."""
    enabled = request.POST.get("enabled") == "1"
    try:
        recurring_payments_set(account=account, enabled=enabled, actor=request.user,
                               as_of=today())
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        if enabled:
            messages.success(request, _("Recurring payments are on: each renewal is charged to "
                                        "your saved card."))
        else:
            valid_until = account_valid_until(account.pk)
            if valid_until is None:
                messages.success(request, _("Recurring payments are off."))
            else:
                messages.success(request, _(
                    "Recurring payments are off. Your seats stay valid until %(date)s; renew "
                    "by then to keep access.") % {"date": date_format(valid_until)})
    return redirect(reverse("payments_renew") + "#recurring-payments")
