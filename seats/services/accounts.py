"""Accounts: creation, self-service sign-up, the billing period and the billing country
(SPEC §3, §6, §7)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from django_countries import countries

from billing_site.errors import DomainError
from billing_site.geo import EEA
from billing_site.money import Currency
from catalogue.models import BillingPolicy, Package

from ..audit import audit_record, snapshot
from ..auth import logins_with_email
from ..models import Account, BillingPeriod, Member, MemberRole
from .common import MEMBER_FIELDS, SEAT_FIELDS, _lock_account, _normalise_email
from .emails import queue_limited, signup_token_generator
from .ledger import seats_open


def currency_for_country(country: str) -> str:
    """SPEC §7: Poland → PLN; Czechia → CZK; other EU/EEA → EUR; elsewhere → USD."""
    country = country.upper()
    if country == "PL":
        return Currency.PLN
    if country == "CZ":
        return Currency.CZK
    if country in EEA:
        return Currency.EUR
    return Currency.USD


def _validate_country(country):
    country = (country or "").strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise DomainError(_("Enter a two-letter ISO country code, e.g. PL."), field="country")
    if country not in countries:
        raise DomainError(
            _("“%(code)s” is not a known country code.") % {"code": country}, field="country"
        )
    return country


# --- accounts -----------------------------------------------------------------------------------


def _account_input(name, package_code, country):
    """The organisation name, package and country of a new account, checked: (name, Package,
    ISO code). DomainError on the field at fault ("name", "package", "country")."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Enter the organisation name."), field="name")
    country = _validate_country(country)
    package = Package.objects.filter(code=package_code).first()
    if package is None:
        raise DomainError(
            _("Unknown package “%(code)s”.") % {"code": package_code}, field="package"
        )
    if not package.active:
        raise DomainError(
            _("Package “%(code)s” is not offered any more.") % {"code": package_code},
            field="package",
        )
    return name, package, country


@transaction.atomic
def account_create(*, name, package_code, country, trial=True, actor, as_of) -> Account:
    name, package, country = _account_input(name, package_code, country)
    account = Account.objects.create(
        name=name,
        package=package,
        country=country,
        currency=currency_for_country(country),
        trial=trial,
        trial_ends_on=(as_of + timedelta(days=BillingPolicy.current().trial_days - 1)
                       if trial else None),
    )
    audit_record(
        account=account, actor=actor, action="account.create", target=account,
        after=snapshot(account, ["name", "package", "country", "currency", "trial",
                                 "trial_ends_on"]),
    )
    return account


def signup(*, organisation, email, password, country, package_code="base", as_of,
           language=""):
    """Self-service sign-up: a trial account whose first admin takes its first seat.

    Returns (account, member), or (None, None) when the address already has a login (of any
    organisation, or vendor staff): then nothing is created and the owner of the address is
    e-mailed instead (`emails.send_address_taken`, through the outbox). The new admin gets the link
    that finishes the sign-up by e-mail (`emails.send_signup_confirmation`, in `language`), so
    the caller answers the same for every address and never says one is taken (issue 13).
    Both e-mails count against settings.INVITATION_LIMIT per address. DomainError only for the
    input itself ("email", "name", "package", "country"), checked before the address is looked
    up."""
    email = _normalise_email(email)
    _account_input(organisation, package_code, country)
    User = get_user_model()
    if logins_with_email(email).exists():  # whatever the case it was stored in
        _signup_address_taken(email, language)
        return None, None
    with transaction.atomic():
        account = account_create(
            name=organisation, package_code=package_code, country=country, trial=True,
            actor=None, as_of=as_of,
        )
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=email, email=email, password=password)
        except IntegrityError:  # the same e-mail signed up at the same moment
            transaction.set_rollback(True)
            created = False
        else:
            created = True
            # unusable until the address is confirmed through the e-mailed link (issues 12/13)
            member = Member.objects.create(account=account, user=user, role=MemberRole.ADMIN,
                                           email_confirmed=False)
            [seat] = seats_open(account=account, count=1, as_of=as_of, actor=user,
                                member=member)
            audit_record(account=account, actor=user, action="member.create", target=member,
                         after=snapshot(member, MEMBER_FIELDS))
            audit_record(account=account, actor=user, action="seat.add", target=seat,
                         after=snapshot(seat, SEAT_FIELDS))
            # through the outbox in this transaction (billing_site.outbox)
            queue_limited("seats.send_signup_confirmation_email", email, member.pk, language)
    if not created:
        _signup_address_taken(email, language)
        return None, None
    return account, member


def _signup_address_taken(email, language=""):
    queue_limited("seats.send_address_taken_email", email, email, "signup", "", "", language)


# --- confirming a sign-up's address (issues 12/13) ------------------------------------------------


def signup_link_member(uidb64, token) -> Member | None:
    """The member whose sign-up the e-mailed link (`uidb64`, `token`) confirms, or None when
    the link is malformed, for no sign-up, expired (settings.PASSWORD_RESET_TIMEOUT seconds) or
    used (the address is confirmed already: the token hashes `Member.email_confirmed`)."""
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not (pk.isascii() and pk.isdigit() and len(pk) <= 18):
        return None
    member = (Member.objects.select_related("user", "account")
              .filter(user_id=int(pk), email_confirmed=False).first())
    if member is None or not signup_token_generator.check_token(member.user, token):
        return None
    return member


def signup_confirm(*, uidb64, token, as_of) -> Member:
    """Confirm the address of a sign-up (SPEC §3, issues 12/13): the POST behind the e-mailed link's
    "Confirm my address" button (never a GET: mail scanners open links). From then on the
    login works. Returns the member (confirmed).

    Locks the account row, re-reads the member, sets `email_confirmed`, writes a
    "member.email_confirm" audit row (actor: the member). DomainError (status 400, code
    "signup_link_invalid") when the link is malformed, expired or already used. `as_of` is the
    business date (unused beyond the audit's time; kept for the services' signature)."""
    member = signup_link_member(uidb64, token)
    if member is None:
        raise DomainError(_("This link no longer works."), code="signup_link_invalid",
                          status=400)
    with transaction.atomic():
        _lock_account(member.account)
        member = Member.objects.select_for_update().select_related("user", "account").get(
            pk=member.pk)
        if member.email_confirmed:  # confirmed by a concurrent click
            raise DomainError(_("This link no longer works."), code="signup_link_invalid",
                              status=400)
        before = snapshot(member, ["email_confirmed"])
        member.email_confirmed = True
        member.save(update_fields=["email_confirmed"])
        audit_record(account=member.account, actor=member.user, action="member.email_confirm",
                     target=member, before=before, after=snapshot(member, ["email_confirmed"]))
    return member


def signup_link_resend(*, email, language="") -> None:
    """Send the sign-up link again to `email` when it has a sign-up waiting for confirmation,
    in `language`; otherwise nothing. Callers answer the same either way (issue 13: no
    enumeration). Counts against settings.INVITATION_LIMIT per address (`queue_limited`).
    DomainError (field "email") only for a malformed address."""
    email = _normalise_email(email)
    member = (Member.objects.filter(user__in=logins_with_email(email), email_confirmed=False)
              .order_by("pk").first())
    if member is None:
        return
    with transaction.atomic():  # the outbox row commits with nothing else: its own transaction
        queue_limited("seats.send_signup_confirmation_email", email, member.pk, language)


# --- billing period ---------------------------------------------------------------------------


@transaction.atomic
def billing_period_change(*, account, period, actor, as_of, by_staff=False) -> Account:
    """Monthly → annual is self-service; annual → monthly only by staff (SPEC §6)."""
    if period not in BillingPeriod.values:
        raise DomainError(_("Choose monthly or annual."), field="billing_period")
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.billing_period == period:
        raise DomainError(
            _("The billing period is already %(period)s.")
            % {"period": account.get_billing_period_display()},
            field="billing_period",
        )
    if period == BillingPeriod.MONTHLY and not by_staff:
        raise DomainError(
            _("Switching from annual to monthly billing is done by our staff; contact support."),
            code="staff_only", field="billing_period", status=403,
        )
    before = snapshot(account, ["billing_period"])
    account.billing_period = period
    account.save(update_fields=["billing_period"])
    audit_record(account=account, actor=actor, action="account.billing_period", target=account,
                 before=before, after=snapshot(account, ["billing_period"]))
    return account


# --- billing country (from the invoice data) ----------------------------------------------------


@transaction.atomic
def account_billing_country_set(*, account, country, currency, actor) -> Account:
    """Move the account to the buyer's country of its invoice data and to `currency`, the
    currency of its future documents (SPEC §7: the currency follows the buyer's country; issued
    documents keep theirs). `invoices.services.profile` calls it when the invoice data move to
    another country, inside its transaction: only this app writes `Account` fields.

    Locks the account row, saves `update_fields` and writes an audit row
    ("account.billing_country_change") with the country and currency before and after. Returns
    the account as stored; when it already has that country and currency nothing is written."""
    country = _validate_country(country)
    if currency not in Currency.values:
        raise ValueError(f"Unknown currency {currency!r}")  # the caller derives it, never input
    account = _lock_account(account)
    fields = ["country", "currency"]
    before = snapshot(account, fields)
    if before == {"country": country, "currency": currency}:
        return account
    account.country, account.currency = country, currency
    account.save(update_fields=fields)
    audit_record(account=account, actor=actor, action="account.billing_country_change",
                 target=account, before=before, after=snapshot(account, fields))
    return account
