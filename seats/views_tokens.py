"""Account → API tokens: a login's own API token, listed (first characters only), made (the full
key shown once) and revoked after a confirmation step (issue 13, item 11). Any login may use it,
members and staff alike; a staff token expires (`billing_site.authentication`).

Making a token is post → redirect → get (issues 12/13 item 2): the POST makes it, keeps the full key
in the (server-side, database-backed) session under `NEW_KEY`, and redirects to the page; the
next view of the page takes the key out of the session and shows it that once, so a reload
neither resubmits the form nor shows the key again. Replacing an existing token asks for a
confirmation first: the old token stops working at once."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from rest_framework.authtoken.models import Token

from billing_site.actions import post_only
from billing_site.authentication import token_expired, token_expires_at

from . import services

NEW_KEY = "api_token_new_key"  # session key: the full key of a token just made, until shown


def _render(request, *, new_key=None, status=200):
    token = Token.objects.filter(user=request.user).first()
    if new_key is not None and (token is None or token.key != new_key):
        new_key = None  # replaced or revoked meanwhile (another tab): that key no longer works
    context = {
        "token": token,
        "key_prefix": services.key_prefix(token.key) if token is not None else "",
        "expires_at": token_expires_at(token) if token is not None else None,
        "expired": token is not None and token_expired(token),
        "new_key": new_key,
    }
    return render(request, "seats/api_tokens.html", context, status=status)


@never_cache
@login_required
def api_tokens_page(request):
    """The login's API token, if it has one, with the buttons to replace and revoke it; the full
    key of a token made by the previous request is shown this once (taken out of the session)."""
    return _render(request, new_key=request.session.pop(NEW_KEY, None))


@never_cache
@login_required
@post_only("api_tokens")
def api_token_create_view(request):
    """POST: a new token, replacing the old one. When there is an old one still working,
    asks for a confirmation first (`confirm=1` acts): it stops working at once. Then redirects
    (302) to the page, which shows the full key once."""
    old = Token.objects.filter(user=request.user).first()
    # an expired staff token no longer works: replacing it loses nothing, so nothing is asked
    if old is not None and not token_expired(old) and request.POST.get("confirm") != "1":
        return render(request, "seats/confirm.html", {
            "title": _("Replace the API token?"),
            "consequences": [
                _("The token starting with %(prefix)s stops working at once: every program "
                  "that uses it is refused until you give it the new token.")
                % {"prefix": services.key_prefix(old.key)},
                _("The new token is shown only once, on the next page; copy it there."),
            ],
            "confirm_label": _("Replace the token"), "danger": True, "hidden": [],
            "action": request.path, "cancel_url": reverse("api_tokens"),
        })
    token = services.api_token_create(user=request.user)
    request.session[NEW_KEY] = token.key
    return redirect("api_tokens")


@never_cache
@login_required
@post_only("api_tokens")
def api_token_revoke_view(request):
    """POST: asks for a confirmation first (`confirm=1` acts), then deletes the token."""
    if request.POST.get("confirm") != "1":
        token = Token.objects.filter(user=request.user).first()
        if token is None:
            messages.info(request, _("You have no API token to revoke."))
            return redirect("api_tokens")
        return render(request, "seats/confirm.html", {
            "title": _("Revoke the API token?"),
            "consequences": [
                _("Programs that use the token starting with %(prefix)s stop working at once.")
                % {"prefix": services.key_prefix(token.key)},
                _("A revoked token cannot be restored; you can make a new one."),
            ],
            "confirm_label": _("Revoke the token"), "danger": True, "hidden": [],
            "action": request.path, "cancel_url": reverse("api_tokens"),
        })
    if services.api_token_revoke(user=request.user):
        messages.success(request, _("The API token was revoked."))
    else:
        messages.info(request, _("You have no API token to revoke."))
    return redirect("api_tokens")
