"""Account → API tokens: a login's own API token, listed (first characters only), made (the full
key shown once) and revoked after a confirmation step (issue 13, item 11). Any login may use it,
members and staff alike; a staff token expires (`billing_site.authentication`)."""

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


def _render(request, *, new_key=None, status=200):
    token = Token.objects.filter(user=request.user).first()
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
    """The login's API token, if it has one, with the buttons to replace and revoke it."""
    return _render(request)


@never_cache
@login_required
@post_only("api_tokens")
def api_token_create_view(request):
    """POST: a new token replacing the old one; the page shows its full key this once (the answer
    is not cached, and the key is never put in the session or a redirect)."""
    token = services.api_token_create(user=request.user)
    return _render(request, new_key=token.key)


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
