"""Re-checks access on every request (SPEC §3, §6): a member suspended, or whose seat became
blocked, mid-session is signed out at once; an admin of a blocked account reaches only the billing
pages. The decision is kept on the request (`request.access`) for the banner."""

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from billing_site.dates import today

from .access import access_decision, request_member

# Paths that must work for a signed-out or refused person. The API decides for itself
# (`seats.permissions.HasProductAccess`), with JSON answers.
OPEN_PREFIXES = ("/static/", "/login/", "/logout/", "/password-reset/", "/reset/", "/signup/",
                 "/i18n/", "/api/", "/webhooks/")

# The billing pages an admin of a blocked or suspended account still reaches (SPEC §6): users,
# renew, orders and paying, invoice data, history and documents, payments. Changing the package
# is not paying, so it is not among them. "/" sends an admin to the users page.
BILLING_PREFIXES = ("/account/",)
NOT_BILLING_PREFIXES = ("/account/package/",)


def is_billing_path(path: str) -> bool:
    """Whether `path` is one of the pages a blocked admin may open."""
    if path == "/":
        return True
    return path.startswith(BILLING_PREFIXES) and not path.startswith(NOT_BILLING_PREFIXES)


class MemberAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.member = None
        request.access = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.member = request_member(request)  # None for staff
            if not request.path.startswith(OPEN_PREFIXES):
                decision = access_decision(user, as_of=today(), member=request.member)
                request.access = decision
                if not decision.allowed:
                    logout(request)
                    request.member = None
                    request.access = None
                    # the messages middleware runs after this one: carry the reason in the session
                    request.session["access_refused"] = decision.message
                    return redirect("login")
                if decision.billing_only and not is_billing_path(request.path):
                    return render(request, "403.html", {"reason": billing_only_reason(decision)},
                                  status=403)
        return self.get_response(request)


def billing_only_reason(decision) -> str:
    """What a blocked admin is told on a page outside billing (and in the API's 403)."""
    standing = decision.standing
    if standing is not None and standing.held:
        return _("Your organisation has been blocked by the vendor's finance team. Until it is "
                 "unblocked you can only use the billing pages: renew, pay, invoice data, "
                 "history and users.")
    if standing is not None and standing.trial_ends_on is not None:
        return _("Your free trial has ended. Pay for a renewal to keep your data and go on "
                 "working; until then only the billing pages are open.")
    return _("Your organisation's payment is overdue, so only the billing pages are open: "
             "renew, pay, invoice data, history and users. Paying restores access at once.")


def pop_refusal(request):
    """The reason a middleware logout gave, shown once on the login page."""
    message = request.session.pop("access_refused", None)
    if message:
        messages.error(request, message)
