"""Re-checks access on every request, so a member suspended mid-session is signed out at once."""

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

from billing_site.dates import today

from .access import access_decision
from .models import Member

# Paths that must work for a signed-out or refused person.
OPEN_PREFIXES = ("/static/", "/login/", "/logout/", "/password-reset/", "/reset/", "/signup/",
                 "/i18n/", "/api/")


class MemberAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.member = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if not user.is_staff:
                request.member = (
                    Member.objects.select_related("account", "account__package", "user")
                    .filter(user=user).first()
                )
            if not request.path.startswith(OPEN_PREFIXES):
                decision = access_decision(user, as_of=today(), member=request.member)
                if not decision.allowed:
                    logout(request)
                    request.member = None
                    # the messages middleware runs after this one: carry the reason in the session
                    request.session["access_refused"] = decision.message
                    return redirect("login")
        return self.get_response(request)


def pop_refusal(request):
    """The reason a middleware logout gave, shown once on the login page."""
    message = request.session.pop("access_refused", None)
    if message:
        messages.error(request, message)
