"""Sign-up pages (issues 13 and 14): the form, the one "check your e-mail" answer to it, the
e-mailed link that confirms the address (a page with a button: the POST confirms and logs the
new admin in, a GET never does, since mail scanners open links) and the page that sends the
link again."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.client_ip import client_ip
from billing_site.dates import today
from billing_site.errors import DomainError
from billing_site.ratelimit import allow
from catalogue.models import BillingPolicy

from . import services
from .forms import SignupForm, SignupResendForm, attach_domain_error


def signup(request):
    """Start a free trial: services.signup creates the account and its first admin on a seat,
    unusable until the address is confirmed, and e-mails the link that confirms it
    (`signup_confirm`). The answer is the same "check your e-mail" page whether or not the
    address already has a login (issue 13), and so is the answer beyond settings.SIGNUP_LIMIT
    sign-ups per IP address, which creates nothing. Only input errors (the same for every
    address) show on the form."""
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
    """The link e-mailed after sign-up (issues 12/13). GET: a page with a "Confirm my address"
    button and nothing changed (mail scanners prefetch links). POST: confirms the address
    (`services.signup_confirm`), logs the new admin in and lands on their start page with the
    trial's end. A link that is malformed, expired or already used: 400, a page that says what
    to do instead (log in, or send a new link)."""
    if request.method == "POST":
        try:
            member = services.signup_confirm(uidb64=uidb64, token=token, as_of=today())
        except DomainError:
            return _link_invalid(request)
        login(request, member.user, backend=settings.LOGIN_BACKEND)
        account = member.account
        messages.success(
            request,
            _("Welcome! Your free trial of %(account)s runs until %(date)s.")
            % {"account": account.name, "date": formatting.day(account.trial_ends_on)},
        )
        return redirect("home")
    member = services.signup_link_member(uidb64, token)
    if member is None:
        return _link_invalid(request)
    return render(request, "seats/signup_confirm.html",
                  {"email": member.user.email, "account": member.account})


def _link_invalid(request):
    return render(request, "seats/signup_link_invalid.html",
                  {"resend_form": SignupResendForm()}, status=400)


def signup_resend(request):
    """"Send the link again" (issues 12/13): GET the form; POST an address. The answer is the same
    page whatever the address (issue 13); a link goes out only to a sign-up still waiting for
    confirmation, at most settings.INVITATION_LIMIT e-mails per address. A malformed address:
    400 with the error on the field."""
    if request.method == "POST":
        form = SignupResendForm(request.POST)
        if form.is_valid():
            try:
                services.signup_link_resend(email=form.cleaned_data["email"],
                                            language=get_language() or "")
            except DomainError as exc:
                if not attach_domain_error(form, exc):
                    form.add_error(None, str(exc.message))
            else:
                return redirect("signup_resend_done")
        return render(request, "seats/signup_resend.html", {"form": form}, status=400)
    form = SignupResendForm(initial={"email": request.GET.get("email", "")[:254]})
    return render(request, "seats/signup_resend.html", {"form": form})


def signup_resend_done(request):
    """The one answer to "send the link again"."""
    return render(request, "seats/signup_resend_done.html")
