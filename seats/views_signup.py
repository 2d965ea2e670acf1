"""Sign-up pages (issue 13): the form, the one "check your e-mail" answer to it, and the
e-mailed link that finishes the sign-up and logs the new admin in."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.shortcuts import redirect, render
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.client_ip import client_ip
from billing_site.dates import today
from billing_site.errors import DomainError
from billing_site.ratelimit import allow
from catalogue.models import BillingPolicy

from . import services
from .forms import SignupForm, attach_domain_error


def signup(request):
    """Start a free trial: services.signup creates the account and its first admin on a seat,
    and e-mails the link that finishes the sign-up (`signup_confirm`). The answer is the same
    "check your e-mail" page whether or not the address already has a login (issue 13), and
    so is the answer beyond settings.SIGNUP_LIMIT sign-ups per IP address, which creates
    nothing. Only input errors (the same for every address) show on the form."""
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if not allow("signup", client_ip(request), settings.SIGNUP_LIMIT):
                return redirect("signup_done")
            try:
                services.signup(
                    organisation=data["organisation"], email=data["email"],
                    password=data["password"], country=data["country"],
                    package_code=data["package"].code, as_of=today(),
                    language=get_language() or "",
                )
            except DomainError as exc:
                if not attach_domain_error(form, exc, SignupForm.FIELD_MAP):
                    form.add_error(None, str(exc.message))
            else:
                return redirect("signup_done")
    else:
        form = SignupForm()
    return render(request, "seats/signup.html",
                  {"form": form, "trial_days": BillingPolicy.current().trial_days})


def signup_done(request):
    """"Check your e-mail": the one answer to every sign-up."""
    return render(request, "seats/signup_done.html")


def signup_confirm(request, uidb64, token):
    """The link e-mailed after sign-up: logs the new admin in (once; the link stops working
    when the login has logged in, or after PASSWORD_RESET_TIMEOUT) and greets them with the
    trial's end. A link that is not (or no longer) valid: 400 with what to do instead."""
    user = _signup_link_user(uidb64, token)
    if user is None:
        return render(request, "seats/signup_link_invalid.html", status=400)
    login(request, user, backend=settings.LOGIN_BACKEND)
    account = user.member.account
    messages.success(
        request,
        _("Welcome! Your free trial of %(account)s runs until %(date)s.")
        % {"account": account.name, "date": formatting.day(account.trial_ends_on)},
    )
    return redirect("account_users")


def _signup_link_user(uidb64, token):
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    user = (get_user_model()._default_manager.filter(pk=pk, member__isnull=False).first()
            if pk.isdigit() else None)
    if user is None or not services.signup_token_generator.check_token(user, token):
        return None
    return user
