"""Forms of the browser pages. They check the *shape* of the input only (a number, a date, an
e-mail); every business rule is in `seats.services`, whose `DomainError`s the views attach to the
field they name (see `attach_domain_error`)."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from billing_site import formatting
from billing_site.dates import schedule_window, today
from billing_site.errors import DomainError
from billing_site.inputs import StrictDateFormField, StrictIntegerFormField
from billing_site.ratelimit import allow
from catalogue.models import Package

from . import services
from .access import access_decision
from .models import Member, MemberRole


def attach_domain_error(form, error: DomainError, field_map=None) -> bool:
    """Put a service refusal on the form field it names. Returns False when the error belongs to
    no field of this form, so the caller shows it as a page message instead."""
    field = (field_map or {}).get(error.field, error.field)
    if field and field in form.fields:
        form.add_error(field, str(error.message))
        return True
    return False


class MemberAuthenticationForm(AuthenticationForm):
    """Login that tells a refused member *why* (SPEC §3: "clear message why").

    Used with `seats.auth.EmailLoginBackend`, which matches the e-mail ignoring case and, like
    `AllowAllUsersModelBackend`, lets a deleted member (user.is_active=False) reach
    `confirm_login_allowed`, so that they see the deletion message instead of "wrong password".
    """

    username = forms.CharField(
        label=_("E-mail"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter a correct e-mail address and password. Note that the password is "
            "case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user):
        decision = access_decision(user, as_of=today())
        if not decision.allowed:
            raise ValidationError(decision.message, code=decision.code)
        # staff pass access_decision; a deactivated staff login must still be refused
        if not user.is_active:
            raise ValidationError(self.error_messages["inactive"], code="inactive")


class InvitedMemberPasswordResetForm(PasswordResetForm):
    """Django's reset form skips users without a usable password. Invited members get one only by
    following the invitation link, so "forgot password" must also reach a member who lost that
    e-mail. Inactive (deleted) users are still skipped.

    Issue 13: the link in the e-mail is built from settings.SITE_URL, never from the request's
    Host header (which the client chooses: a forged Host would send the token to its owner's
    site); and at most settings.PASSWORD_RESET_LIMIT requests per address are sent — beyond it
    the page answers as always but nothing is sent (`billing_site.ratelimit`)."""

    def save(self, *args, **kwargs):
        if not allow("password_reset", self.cleaned_data["email"],
                     settings.PASSWORD_RESET_LIMIT):
            return
        site = urlsplit(settings.SITE_URL)
        kwargs.update(
            domain_override=site.netloc, use_https=site.scheme == "https",
            extra_email_context={**(kwargs.get("extra_email_context") or {}),
                                 "site_url": settings.SITE_URL.rstrip("/")},
        )
        super().save(*args, **kwargs)

    def get_users(self, email):
        User = get_user_model()
        email_field = User.get_email_field_name()
        return (
            user
            for user in User._default_manager.filter(
                **{f"{email_field}__iexact": email, "is_active": True}
            )
            if getattr(user, email_field, "").lower() == email.lower()
        )


def _country_choices():
    # a callable, so that the names follow the language of each request
    return [(country.code, country.name) for country in countries]


class SignupForm(forms.Form):
    organisation = forms.CharField(label=_("Organisation name"), max_length=200)
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    # Every country, named and sorted in the active language by django-countries (a dependency
    # already: the account's CountryField); the value posted is the ISO code the service takes.
    country = forms.ChoiceField(
        label=_("Country"), initial="PL", choices=_country_choices,
        help_text=_("It decides the currency and the VAT on your invoices."),
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    package = forms.ModelChoiceField(
        label=_("Package"), queryset=Package.objects.filter(active=True),
        to_field_name="code", empty_label=None, initial="base",
    )

    # DomainError.field of services.signup → field of this form
    FIELD_MAP = {"name": "organisation"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # built per form so that it follows the request language
        self.fields["password"].help_text = password_validation.password_validators_help_text_html()

    def clean(self):
        cleaned = super().clean()
        password, email = cleaned.get("password"), cleaned.get("email")
        if password:
            # the username will be the e-mail too; compare once, under the name people see
            candidate = get_user_model()(email=email or "")
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class SignupResendForm(forms.Form):
    """The address to send a sign-up's confirmation link to again (issues 12/13)."""

    email = forms.EmailField(
        label=_("E-mail"), max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SeatsAddForm(forms.Form):
    # No min/max validators here: services.seats_add owns the limits and its refusal is shown on
    # this field. The HTML attributes only guide the browser.
    count = StrictIntegerFormField(
        label=_("Number of seats"), initial=1,
        widget=forms.NumberInput(
            attrs={"min": 1, "max": services.MAX_SEATS_PER_REQUEST, "class": "counter-input",
                   "inputmode": "numeric"}
        ),
    )


class SeatAssignForm(forms.Form):
    """Pick the member for one free seat. The page offers only eligible members; on submit any
    member of the account is accepted, so that the service (not a generic "invalid choice")
    explains why someone cannot take the seat."""

    member = forms.ModelChoiceField(label=_("Member"), queryset=None, empty_label=None)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["member"]
        field.label_from_instance = lambda m: m.email
        if isinstance(members, QuerySet):
            field.queryset = members
        else:
            # members already read (the Users page offers the same ones under each free seat):
            # the choices are theirs, so rendering runs no query per seat (issue 16); the
            # queryset only validates a submitted choice, which that page never binds
            field.queryset = Member.objects.filter(pk__in=[m.pk for m in members])
            field.choices = [(m.pk, m.email) for m in members]


def _role_choices():
    return [(value, capfirst(label)) for value, label in MemberRole.choices]


class MemberInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    role = forms.ChoiceField(label=_("Role"), choices=_role_choices, initial=MemberRole.USER)


class MemberRoleForm(forms.Form):
    """The role of one member, on their row of the Users page."""

    role = forms.ChoiceField(label=_("Role"), choices=_role_choices)


class MemberReleaseForm(forms.Form):
    """Suspend or delete a member: the state comes from the button (URL) pressed."""

    effective = StrictDateFormField(
        label=_("Effective date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Today or later."),
    )
    remove_seat = forms.BooleanField(label=_("Remove the seat too"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"effective": today()})
        super().__init__(*args, **kwargs)
        # the browser's date picker offers only the days the service accepts
        first, last = schedule_window(today())
        self.fields["effective"].widget.attrs.update(min=first.isoformat(), max=last.isoformat())
        self.fields["effective"].help_text = _("Today or later, up to %(last)s.") % {
            "last": formatting.day(last)}

    def clean_effective(self):
        """The service's rule (`member_release_effective_check`: today up to
        SCHEDULE_WINDOW_DAYS ahead), checked before the confirmation step so that 2999-01-01
        is refused at once, with the allowed range."""
        effective = self.cleaned_data["effective"]
        try:
            services.member_release_effective_check(effective, as_of=today())
        except DomainError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return effective
