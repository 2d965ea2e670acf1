"""The contract account's seat count on "Account settings → Users" (SPEC §3; issue 11): the
admin sends the new seat count for recurring billing. The card itself is
`templates/seats/includes/contract_confirm.html`, shown by the users page when
`seats.selectors.contract_seat_state` says the account has a contract that has not ended.

POST only (CSRF as every form), the account's admins only (`account_admin_required`: others 403,
a login without a membership 404). The outcome is a message on the users page; a refusal of the
service (`DomainError`) is an error message, never a 500.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import ngettext

from billing_site.actions import post_only
from billing_site.dates import today
from billing_site.errors import DomainError

from .services.contracts import contract_seats_confirm
from .views import _users_url, account_admin_required


@account_admin_required
@post_only("account_users", anchor="contract-seats")
def contract_seats_confirm_view(request, account):
    try:
        confirmation = contract_seats_confirm(account=account, actor=request.user,
                                              as_of=today())
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        count = confirmation.row.count
        if confirmation.changed:
            messages.success(request, ngettext(
                "Sent: from the next monthly invoice on, recurring billing uses %(count)d seat.",
                "Sent: from the next monthly invoice on, recurring billing uses %(count)d "
                "seats.", count) % {"count": count})
        else:
            messages.info(request, ngettext(
                "Confirmed again: recurring billing already used %(count)d seat, the count your "
                "account has now.",
                "Confirmed again: recurring billing already used %(count)d seats, the count "
                "your account has now.", count) % {"count": count})
    return redirect(_users_url("contract-seats"))
