"""Every change to accounts, members and seats (SPEC §3).

Each service owns its transaction, locks the account row first (so that concurrent operations on
one account are serialised), refuses a bad request with `DomainError`, writes an audit row, and
sends e-mail only after commit. Dates are business dates passed in as `as_of`.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_countries import countries

from billing_site.errors import DomainError
from billing_site.geo import EEA
from billing_site.jobs import queue_task
from billing_site.money import Currency
from catalogue.models import Package

from .audit import audit_record, snapshot
from .auth import logins_with_email
from .ledger import seats_open  # seats.ledger: the one writer of seat validity
from .models import Account, BillingPeriod, Member, MemberRole, MemberState, Seat

logger = logging.getLogger(__name__)

MAX_SEATS_PER_REQUEST = 500


SEAT_FIELDS = ["valid_until", "paid_through", "member", "removed_on"]
MEMBER_FIELDS = ["role", "state", "pending_state", "pending_on", "pending_remove_seat"]


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


def _lock_account(account) -> Account:
    return Account.objects.select_for_update().get(pk=account.pk)


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


@transaction.atomic
def account_create(*, name, package_code, country, trial=True, actor, as_of) -> Account:
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
    account = Account.objects.create(
        name=name,
        package=package,
        country=country,
        currency=currency_for_country(country),
        trial=trial,
        trial_ends_on=as_of + timedelta(days=settings.TRIAL_DAYS - 1) if trial else None,
    )
    audit_record(
        account=account, actor=actor, action="account.create", target=account,
        after=snapshot(account, ["name", "package", "country", "currency", "trial",
                                 "trial_ends_on"]),
    )
    return account


def signup(*, organisation, email, password, country, package_code="base", as_of):
    """Self-service sign-up: a trial account whose first admin takes its first seat."""
    email = _normalise_email(email)
    User = get_user_model()
    if logins_with_email(email).exists():  # whatever the case it was stored in
        raise DomainError(
            _("A user with this e-mail address already exists. Log in or reset your password."),
            field="email",
        )
    with transaction.atomic():
        account = account_create(
            name=organisation, package_code=package_code, country=country, trial=True,
            actor=None, as_of=as_of,
        )
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=email, email=email, password=password)
        except IntegrityError as exc:  # the same e-mail signed up at the same moment
            raise DomainError(
                _("A user with this e-mail address already exists. Log in or reset your "
                  "password."),
                field="email",
            ) from exc
        member = Member.objects.create(account=account, user=user, role=MemberRole.ADMIN)
        [seat] = seats_open(account=account, count=1, as_of=as_of, actor=user, member=member)
        audit_record(account=account, actor=user, action="member.create", target=member,
                     after=snapshot(member, MEMBER_FIELDS))
        audit_record(account=account, actor=user, action="seat.add", target=seat,
                     after=snapshot(seat, SEAT_FIELDS))
    return account, member


# --- seats --------------------------------------------------------------------------------------


@transaction.atomic
def seats_add(*, account, count, actor, as_of) -> list[Seat]:
    """Add `count` free seats valid until the end of the current month and not yet paid; their
    cost from today is charged on the next renewal (SPEC §3)."""
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise DomainError(_("Add at least one seat."), field="count")
    if count > MAX_SEATS_PER_REQUEST:
        raise DomainError(
            _("At most %(max)d seats can be added at once.") % {"max": MAX_SEATS_PER_REQUEST},
            field="count",
        )
    account = _lock_account(account)
    seats = seats_open(account=account, count=count, as_of=as_of, actor=actor)
    for seat in seats:
        audit_record(account=account, actor=actor, action="seat.add", target=seat,
                     after=snapshot(seat, SEAT_FIELDS))
    return seats


@transaction.atomic
def seat_remove(*, account, seat, actor, as_of) -> Seat:
    """Remove a free seat. Occupied seats are refused; paid time is not refunded."""
    account = _lock_account(account)
    seat = Seat.objects.select_for_update().get(pk=seat.pk, account=account)
    if seat.removed_on is not None:
        raise DomainError(_("This seat has already been removed."), code="seat_removed")
    if seat.member_id is not None:
        raise DomainError(
            _("Seat #%(id)d is occupied by %(email)s. Suspend or delete that user first, "
              "choosing “remove the seat too”.") % {"id": seat.pk, "email": seat.member.email},
            code="seat_occupied",
        )
    before = snapshot(seat, SEAT_FIELDS)
    seat.removed_on = as_of
    seat.save(update_fields=["removed_on"])
    audit_record(account=account, actor=actor, action="seat.remove", target=seat, before=before,
                 after=snapshot(seat, SEAT_FIELDS))
    return seat


def _free_seat(account):
    """The free seat a newcomer takes: the one valid longest (then the oldest)."""
    return (
        Seat.objects.select_for_update()
        .filter(account=account, removed_on__isnull=True, member__isnull=True)
        .order_by("-valid_until", "id")
        .first()
    )


def _occupy(*, account, seat, member, actor):
    before = snapshot(seat, SEAT_FIELDS)
    seat.member = member
    try:
        with transaction.atomic():
            seat.save(update_fields=["member"])
    except IntegrityError as exc:  # the one-to-one constraint: member already seated elsewhere
        raise DomainError(_("This user already occupies a seat."), code="member_seated") from exc
    audit_record(account=account, actor=actor, action="seat.assign", target=seat, before=before,
                 after=snapshot(seat, SEAT_FIELDS))


@transaction.atomic
def seat_assign(*, account, seat, member, actor, as_of) -> Seat:
    """Give a free seat to an active member who has none."""
    account = _lock_account(account)
    seat = Seat.objects.select_for_update().get(pk=seat.pk, account=account)
    member = Member.objects.select_for_update().get(pk=member.pk, account=account)
    if seat.removed_on is not None:
        raise DomainError(_("This seat has been removed."), code="seat_removed")
    if seat.member_id is not None:
        raise DomainError(_("This seat is already occupied."), code="seat_occupied")
    if member.state == MemberState.DELETED:
        raise DomainError(
            _("%(email)s has been deleted; invite the user again instead.")
            % {"email": member.email},
            code="member_not_active",
        )
    if member.state != MemberState.ACTIVE:
        raise DomainError(
            _("%(email)s is %(state)s; restore the user instead.")
            % {"email": member.email, "state": member.get_state_display()},
            code="member_not_active",
        )
    if Seat.objects.filter(member=member).exists():
        raise DomainError(_("This user already occupies a seat."), code="member_seated")
    _occupy(account=account, seat=seat, member=member, actor=actor)
    return seat


# --- members ------------------------------------------------------------------------------------


def _normalise_email(email):
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("Enter a valid e-mail address."), field="email") from exc
    limit = get_user_model()._meta.get_field("username").max_length
    if len(email) > limit:  # the e-mail is the login name, which has a length limit
        raise DomainError(
            _("E-mail addresses longer than %(limit)d characters cannot be used.")
            % {"limit": limit},
            field="email",
        )
    return email


def send_invitation(member, inviter_email=""):
    """E-mail a new member the link that sets their password (called by the Celery task)."""
    user = member.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL.rstrip("/") + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    context = {"member": member, "account": member.account, "link": link,
               "inviter": inviter_email}
    send_mail(
        subject=_("You have been invited to %(account)s") % {"account": member.account.name},
        message=render_to_string("seats/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )


def _queue_invitation(member_id, inviter_email):
    try:  # by name: seats.tasks imports this module (billing_site.jobs)
        queue_task("seats.send_invitation_email", member_id, inviter_email)
    except Exception:  # broker down: the member exists; the admin can invite again later
        logger.exception("Could not queue the invitation e-mail for member %s", member_id)


@transaction.atomic
def member_invite(*, account, email, role, actor, as_of, notify=True) -> Member:
    """Add a member: they take a free seat, or a new seat is added when none is free (SPEC §3).
    The new user sets a password through the link in the invitation e-mail."""
    email = _normalise_email(email)
    if role not in MemberRole.values:
        raise DomainError(
            _("Choose a role: %(roles)s.") % {"roles": ", ".join(MemberRole.values)}, field="role"
        )
    account = _lock_account(account)
    User = get_user_model()
    # matched ignoring case: a login stored as A@X.example is the same person as a@x.example
    existing = (
        Member.objects.filter(user__in=logins_with_email(email))
        .select_related("account").order_by("pk").first()
    )
    if existing is not None and existing.account_id != account.pk:
        raise DomainError(
            _("%(email)s already belongs to another organisation.") % {"email": email},
            field="email",
        )
    if existing is not None and existing.state == MemberState.ACTIVE:
        raise DomainError(_("%(email)s is already a member.") % {"email": email}, field="email")
    if existing is not None and existing.state == MemberState.SUSPENDED:
        raise DomainError(
            _("%(email)s is suspended: restore the user instead.") % {"email": email},
            field="email",
        )
    if existing is None and logins_with_email(email).exists():
        raise DomainError(
            _("%(email)s is already used by another login.") % {"email": email}, field="email"
        )

    if existing is not None:  # a deleted member comes back
        member = existing
        before = snapshot(member, MEMBER_FIELDS)
        member.role = role
        member.state = MemberState.ACTIVE
        member.pending_state, member.pending_on, member.pending_remove_seat = "", None, False
        member.save(update_fields=MEMBER_FIELDS)
        member.user.is_active = True
        member.user.save(update_fields=["is_active"])
        audit_record(account=account, actor=actor, action="member.reinvite", target=member,
                     before=before, after=snapshot(member, MEMBER_FIELDS))
    else:
        try:
            with transaction.atomic():
                user = User.objects.create_user(username=email, email=email, password=None)
        except IntegrityError as exc:  # invited into another account at the same moment
            raise DomainError(
                _("%(email)s is already used by another login.") % {"email": email},
                field="email",
            ) from exc
        member = Member.objects.create(account=account, user=user, role=role)
        audit_record(account=account, actor=actor, action="member.invite", target=member,
                     after=snapshot(member, MEMBER_FIELDS))

    seat = _free_seat(account)
    if seat is None:
        seat = seats_add(account=account, count=1, actor=actor, as_of=as_of)[0]
    _occupy(account=account, seat=seat, member=member, actor=actor)
    if notify:
        inviter = actor.email if actor is not None else ""
        transaction.on_commit(lambda: _queue_invitation(member.pk, inviter))
    return member


def _last_admin_guard(account, member, *, scheduled_count_as_gone=True):
    """Refuse to release the account's last active admin. Call it with the account row locked,
    so that two admins releasing each other at once are serialised and the second sees the first
    one's change. When scheduling, admins with a release already scheduled count as gone; the
    daily job applying a release counts who is active now (`scheduled_count_as_gone=False`)."""
    if member.role != MemberRole.ADMIN or member.state != MemberState.ACTIVE:
        return
    others = Member.objects.filter(
        account=account, role=MemberRole.ADMIN, state=MemberState.ACTIVE
    ).exclude(pk=member.pk)
    if scheduled_count_as_gone:
        others = others.exclude(pending_state__in=[MemberState.SUSPENDED, MemberState.DELETED])
    if not others.exists():
        raise DomainError(
            _("%(email)s is the last active administrator; make someone else an administrator "
              "first.") % {"email": member.email},
            code="last_admin",
        )


def _apply_release(*, account, member, state, remove_seat, actor, as_of):
    before = snapshot(member, MEMBER_FIELDS)
    seat = Seat.objects.select_for_update().filter(member=member).first()
    if seat is not None:
        seat_before = snapshot(seat, SEAT_FIELDS)
        seat.member = None
        if remove_seat:
            seat.removed_on = as_of
        seat.save(update_fields=["member", "removed_on"])
        audit_record(account=account, actor=actor,
                     action="seat.remove" if remove_seat else "seat.release", target=seat,
                     before=seat_before, after=snapshot(seat, SEAT_FIELDS))
    member.state = state
    member.pending_state, member.pending_on, member.pending_remove_seat = "", None, False
    member.save(update_fields=MEMBER_FIELDS)
    if state == MemberState.DELETED:
        member.user.is_active = False
        member.user.save(update_fields=["is_active"])
    audit_record(account=account, actor=actor, action=f"member.{state}", target=member,
                 before=before, after=snapshot(member, MEMBER_FIELDS))


@transaction.atomic
def member_release(*, account, member, state, effective, remove_seat, actor, as_of) -> Member:
    """Suspend or delete a member, freeing their seat (and removing it when asked), today or on a
    later `effective` date, when the daily job applies it. The seat stays valid for someone else."""
    if state not in (MemberState.SUSPENDED, MemberState.DELETED):
        raise DomainError(_("Choose suspend or delete."), field="state")
    if effective is None:
        effective = as_of
    if effective < as_of:
        raise DomainError(_("The effective date cannot be in the past."), field="effective")
    account = _lock_account(account)
    member = Member.objects.select_for_update().select_related("user").get(
        pk=member.pk, account=account
    )
    if member.state == MemberState.DELETED:
        raise DomainError(_("This user has been deleted."), code="member_deleted")
    if member.state == state:
        raise DomainError(
            _("%(email)s is already %(state)s.")
            % {"email": member.email, "state": member.get_state_display()},
            code="member_state_unchanged",
        )
    _last_admin_guard(account, member)
    if effective == as_of:
        _apply_release(account=account, member=member, state=state, remove_seat=remove_seat,
                       actor=actor, as_of=as_of)
    else:
        before = snapshot(member, MEMBER_FIELDS)
        member.pending_state, member.pending_on = state, effective
        member.pending_remove_seat = bool(remove_seat)
        member.save(update_fields=MEMBER_FIELDS)
        audit_record(account=account, actor=actor, action=f"member.schedule_{state}",
                     target=member, before=before, after=snapshot(member, MEMBER_FIELDS))
    return member


@transaction.atomic
def member_cancel_scheduled(*, account, member, actor, as_of) -> Member:
    account = _lock_account(account)
    member = Member.objects.select_for_update().get(pk=member.pk, account=account)
    if not member.pending_state:
        raise DomainError(_("Nothing is scheduled for this user."), code="nothing_scheduled")
    before = snapshot(member, MEMBER_FIELDS)
    member.pending_state, member.pending_on, member.pending_remove_seat = "", None, False
    member.save(update_fields=MEMBER_FIELDS)
    audit_record(account=account, actor=actor, action="member.cancel_scheduled", target=member,
                 before=before, after=snapshot(member, MEMBER_FIELDS))
    return member


@transaction.atomic
def member_restore(*, account, member, actor, as_of) -> Member:
    """Bring a suspended member back onto a free seat of the account."""
    account = _lock_account(account)
    member = Member.objects.select_for_update().select_related("user").get(
        pk=member.pk, account=account
    )
    if member.state != MemberState.SUSPENDED:
        raise DomainError(
            _("Only suspended users can be restored; %(email)s is %(state)s.")
            % {"email": member.email, "state": member.get_state_display()},
            code="member_not_suspended",
        )
    seat = _free_seat(account)
    if seat is None:
        raise DomainError(
            _("There is no free seat to restore %(email)s onto. Add a seat first.")
            % {"email": member.email},
            code="no_free_seat",
        )
    before = snapshot(member, MEMBER_FIELDS)
    member.state = MemberState.ACTIVE
    # a suspended member may have a deletion scheduled; bringing them back cancels it
    member.pending_state, member.pending_on, member.pending_remove_seat = "", None, False
    member.save(update_fields=MEMBER_FIELDS)
    audit_record(account=account, actor=actor, action="member.restore", target=member,
                 before=before, after=snapshot(member, MEMBER_FIELDS))
    _occupy(account=account, seat=seat, member=member, actor=actor)
    return member


def members_apply_scheduled(*, as_of, batch_size=200) -> int:
    """Apply every scheduled suspension/deletion due on or before `as_of`. Idempotent: an applied
    change is cleared in the same transaction, and rows are re-read under lock, so a second run
    (or two at once) finds nothing left to do. Returns how many were applied."""
    applied = 0
    while True:
        due = list(
            Member.objects.filter(pending_on__lte=as_of)
            .order_by("pending_on", "id")
            .values_list("pk", "account_id")[:batch_size]
        )
        if not due:
            return applied
        for member_pk, account_pk in due:
            with transaction.atomic():
                account = Account.objects.select_for_update().get(pk=account_pk)
                member = (
                    Member.objects.select_for_update().select_related("user")
                    .filter(pk=member_pk, pending_on__lte=as_of).first()
                )
                if member is None:
                    continue  # applied by a concurrent run
                try:
                    _last_admin_guard(account, member, scheduled_count_as_gone=False)
                except DomainError as exc:
                    # The services never schedule releases of every admin, but pending changes
                    # can be edited in the Django admin: keep the account's last admin, drop
                    # the change (so that it is not picked up again) and say so in the audit.
                    _refuse_scheduled_release(account=account, member=member, reason=exc)
                    continue
                # a late run still removes the seat as of the date the admin chose
                _apply_release(account=account, member=member, state=member.pending_state,
                               remove_seat=member.pending_remove_seat, actor=None,
                               as_of=member.pending_on)
                applied += 1


def _refuse_scheduled_release(*, account, member, reason):
    logger.warning("Scheduled %s of member %s not applied: %s", member.pending_state, member.pk,
                   reason.message)
    before = snapshot(member, MEMBER_FIELDS)
    member.pending_state, member.pending_on, member.pending_remove_seat = "", None, False
    member.save(update_fields=MEMBER_FIELDS)
    audit_record(account=account, actor=None, action="member.schedule_refused", target=member,
                 before=before, after=snapshot(member, MEMBER_FIELDS))


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
