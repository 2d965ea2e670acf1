"""Members: inviting (onto a free seat, else a new one), releasing today or on a later date,
restoring, and the daily job that applies scheduled releases (SPEC §3)."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from billing_site.choices import accepted_values
from billing_site.dates import schedule_out_of_window
from billing_site.errors import DomainError
from billing_site.outbox import email_send_once

from ..audit import audit_record, snapshot
from ..auth import logins_with_email
from ..models import Account, Invitation, InvitationStatus, Member, MemberRole, MemberState, Seat
from ..selectors import is_last_active_admin
from .common import MEMBER_FIELDS, SEAT_FIELDS, _lock_account, _normalise_email
from .emails import queue_limited
from .invitations import invitation_record, invitations_settle
from .seats import _free_seat, _held_for, _occupy, _refuse_if_held, seats_add

logger = logging.getLogger(__name__)


def send_invitation(member, inviter_email="", language="", *, once_key="") -> bool:
    """E-mail a new member the link that sets their password (called by the Celery task), in
    `language`: the recipient's when known (there is no stored language preference yet, so the
    caller passes the inviter's active language), else the site default. A plain-text part
    (not HTML-escaped: "Smith & Co" stays as typed) and an HTML part, from the same context.
    `once_key` (the task message's id): sent at most once under that key, so a task delivered
    twice sends one e-mail (issue 13, item 14). Returns whether it sent."""
    user = member.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL.rstrip("/") + reverse(
        "password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )
    context = {"member": member, "account": member.account, "link": link,
               "inviter": inviter_email}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = _("You have been invited to %(account)s") % {"account": member.account.name}
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),  # no line breaks in a header
            body=render_to_string("seats/email/invitation.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        )
        message.attach_alternative(render_to_string("seats/email/invitation.html", context),
                                   "text/html")
    if not once_key:
        message.send()
        return True
    return email_send_once(f"invitation:{once_key}", message.send, message.to)


def _queue_invitation(email, member_id, inviter_email, language):
    queue_limited("seats.send_invitation_email", email, member_id, inviter_email, language)


def _address_taken(*, account, email, role, seat, actor, as_of):
    """An invitation of an address that already has a login elsewhere (a member of another
    organisation, or a login without one, e.g. vendor staff): nobody is added to `account`, and
    the owner of the address is told (`emails.send_address_taken`, queued in this
    transaction). The invitation holds `seat` as any invitation does (issue 13 item 3). The
    caller answers as for any invitation, so the inviter learns nothing about the address; the
    audit row keeps what happened for our staff."""
    audit_record(account=account, actor=actor, action="member.invite_elsewhere", target=account,
                 after={"email": email})
    # listed as pending like any invitation (issues 12/13) until an admin cancels it
    invitation_record(account=account, email=email, role=role, member=None, seat=seat,
                      actor=actor, as_of=as_of)
    inviter = actor.email if actor is not None else ""
    # through the outbox in this transaction (billing_site.outbox): a broker that is down loses
    # nothing
    queue_limited("seats.send_address_taken_email", email, email, "invitation", account.name,
                  inviter)


@transaction.atomic
def member_invite(*, account, email, role, actor, as_of, notify=True) -> Member | None:
    """Add a member: they take a free seat, or a new seat is added when none is free (SPEC §3).
    The new user sets a password through the link in the invitation e-mail (at most
    settings.INVITATION_LIMIT e-mails per address per hour; the excess is not sent).

    An address that already has a login outside this account — a member of another
    organisation or a vendor staff login — is not added: the service returns None and its owner
    gets an e-mail saying so (`_address_taken`). Callers answer exactly as for an added member,
    so an invitation never tells one tenant who has a login elsewhere (issue 13).

    Issues 12/13: with `notify` (every invitation made by an admin) an `Invitation` row is written
    for both kinds of address, so that the members list shows each as "invited, waiting for
    acceptance" until the invitee sets a password (or an admin cancels it:
    `invitations.invitation_cancel`). Refused with DomainError (field "email" or "role"): a bad
    address or role, an active or suspended member of this account, an address with a pending
    invitation here (409, code "already_invited", whoever owns it); (no field) the trial's seat
    cap."""
    email = _normalise_email(email)
    if role not in MemberRole.values:
        raise DomainError(
            _("Choose a role: %(roles)s.") % {"roles": accepted_values(MemberRole.choices)},
            field="role",
        )
    account = _lock_account(account)
    # one pending invitation per address, answered the same whoever owns it (issues 12/13)
    invitations_settle(account=account, email=email)
    if Invitation.objects.filter(account=account, email=email,
                                 status=InvitationStatus.PENDING).exists():
        raise DomainError(
            _("%(email)s has already been invited and has not accepted yet; re-send or cancel "
              "that invitation in the members list.") % {"email": email},
            code="already_invited", status=409, field="email",
        )
    User = get_user_model()
    # matched ignoring case: a login stored as A@X.example is the same person as a@x.example
    existing = (
        Member.objects.filter(user__in=logins_with_email(email))
        .select_related("account").order_by("pk").first()
    )
    own = existing is not None and existing.account_id == account.pk
    if own and existing.state == MemberState.ACTIVE:
        raise DomainError(_("%(email)s is already a member.") % {"email": email}, field="email")
    if own and existing.state == MemberState.SUSPENDED:
        raise DomainError(
            _("%(email)s is suspended: restore the user instead.") % {"email": email},
            field="email",
        )
    # Issue 13 item 3: the seat first, whoever owns the address, so that an invitation of an
    # address with a login elsewhere holds a seat (or is refused for want of one) exactly as
    # one of a new address does.
    seat = _seat_for_newcomer(account=account, actor=actor, as_of=as_of)
    if (existing is not None and not own) or (
            existing is None and logins_with_email(email).exists()):
        _address_taken(account=account, email=email, role=role, seat=seat, actor=actor,
                       as_of=as_of)
        return None

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
        except IntegrityError:  # invited or signed up elsewhere at the same moment
            _address_taken(account=account, email=email, role=role, seat=seat, actor=actor,
                           as_of=as_of)
            return None
        member = Member.objects.create(account=account, user=user, role=role)
        audit_record(account=account, actor=actor, action="member.invite", target=member,
                     after=snapshot(member, MEMBER_FIELDS))

    _occupy(account=account, seat=seat, member=member, actor=actor)
    if notify:
        # shown as "invited, waiting for acceptance" until the invitee sets a password; it
        # holds the seat the member sits on
        invitation_record(account=account, email=email, role=role, member=member, seat=seat,
                          actor=actor, as_of=as_of)
        inviter = actor.email if actor is not None else ""
        # the recipient's language is not known: the e-mail goes out in the inviter's
        language = translation.get_language() or ""
        # by name, through the outbox in this transaction: a broker that is down when the
        # invitation commits loses nothing (seats.tasks imports this module)
        _queue_invitation(email, member.pk, inviter, language)
    return member


def _seat_for_newcomer(*, account, actor, as_of) -> Seat:
    """The seat an invitation takes (SPEC §3): a free one (`_free_seat`, locked), else a new
    seat. Refused as `seats_add` refuses (the account is blocked, the trial's seat cap), the
    same whoever owns the invited address."""
    seat = _free_seat(account)
    if seat is not None:
        # an invitation accepted since (its member set a password, then left the seat) may
        # still be pending on it: recorded as accepted, so that the new one can hold the seat
        invitations_settle(account=account, seat=seat)
        return seat
    try:
        return seats_add(account=account, count=1, actor=actor, as_of=as_of)[0]
    except DomainError as exc:
        if exc.code != "trial_seat_cap":
            raise
        # the trial's cap is about the account, not a field of the invitation
        raise DomainError(exc.message, code=exc.code) from exc


def _last_admin_guard(account, member, *, scheduled_count_as_gone=True):
    """Refuse to release the account's last active admin. Call it with the account row locked,
    so that two admins releasing each other at once are serialised and the second sees the first
    one's change. When scheduling, admins with a release already scheduled count as gone; the
    daily job applying a release counts who is active now (`scheduled_count_as_gone=False`)."""
    if is_last_active_admin(account, member, scheduled_count_as_gone=scheduled_count_as_gone):
        raise DomainError(
            _("%(email)s is the last active administrator; make someone else an administrator "
              "first.") % {"email": member.email},
            code="last_admin", status=409,
        )


def _apply_release(*, account, member, state, remove_seat, actor, as_of):
    before = snapshot(member, MEMBER_FIELDS)
    seat = Seat.objects.select_for_update().filter(member=member).first()
    if seat is not None:
        seat_before = snapshot(seat, SEAT_FIELDS)
        seat.member = None
        # a seat an open invitation holds is kept (`member_release` refuses to remove it; this
        # keeps the rule for whatever else writes a scheduled release, e.g. the Django admin)
        remove_seat = remove_seat and seat.is_free
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


def member_release_effective_check(effective, *, as_of) -> None:
    """Refuse an `effective` date (a `date`) of a suspension or deletion that is before `as_of`
    or further ahead than `settings.SCHEDULE_WINDOW_DAYS` (`billing_site.dates.schedule_window`):
    DomainError on the field "effective" (code "effective_past" / "effective_range", the latter
    naming the allowed range). SPEC §3. The API's input checks it too, with the other fields."""
    if effective < as_of:
        raise DomainError(_("The effective date cannot be in the past."), field="effective",
                          code="effective_past")
    message = schedule_out_of_window(effective, as_of)
    if message:
        raise DomainError(message, field="effective", code="effective_range")


@transaction.atomic
def member_release(*, account, member, state, effective, remove_seat, actor, as_of) -> Member:
    """Suspend or delete a member, freeing their seat (and removing it when asked), today or on a
    later `effective` date, when the daily job applies it. The seat stays valid for someone else."""
    if state not in (MemberState.SUSPENDED, MemberState.DELETED):
        raise DomainError(_("Choose suspend or delete."), field="state")
    if effective is None:
        effective = as_of
    member_release_effective_check(effective, as_of=as_of)
    account = _lock_account(account)
    member = Member.objects.select_for_update().select_related("user").get(
        pk=member.pk, account=account
    )
    if member.state == MemberState.DELETED:
        raise DomainError(_("This user has been deleted."), code="member_deleted", status=409)
    if member.state == state:
        raise DomainError(
            _("%(email)s is already %(state)s.")
            % {"email": member.email, "state": member.get_state_display()},
            code="member_state_unchanged", status=409,
        )
    _last_admin_guard(account, member)
    if remove_seat:
        # the seat of an invitee who has not accepted yet is held by their invitation (issue 13
        # item 3): it goes with the invitation (cancel it), not with the member
        seat = Seat.objects.filter(member=member).first()
        if seat is not None:
            _refuse_if_held(seat)
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
def member_role_change(*, account, member, role, actor, as_of) -> Member:
    """Give a member another role (issue 12). Taking the admin role from the account's last
    active administrator is refused (`_last_admin_guard`, under the account lock, so that two
    admins demoting each other at once are serialised). A deleted member keeps their role: they
    come back with the role they are invited with. Writes a `member.role` audit row."""
    if role not in MemberRole.values:
        raise DomainError(
            _("Choose a role: %(roles)s.") % {"roles": accepted_values(MemberRole.choices)},
            field="role",
        )
    account = _lock_account(account)
    member = Member.objects.select_for_update().select_related("user").get(
        pk=member.pk, account=account
    )
    if member.state == MemberState.DELETED:
        raise DomainError(
            _("%(email)s has been deleted; invite the user again with the role instead.")
            % {"email": member.email},
            code="member_deleted", status=409,
        )
    if member.role == role:
        raise DomainError(
            _("%(email)s is already %(role)s.")
            % {"email": member.email, "role": member.get_role_display()},
            code="role_unchanged", status=409, field="role",
        )
    if role != MemberRole.ADMIN:
        _last_admin_guard(account, member)
    before = snapshot(member, MEMBER_FIELDS)
    member.role = role
    member.save(update_fields=["role"])
    audit_record(account=account, actor=actor, action="member.role", target=member,
                 before=before, after=snapshot(member, MEMBER_FIELDS))
    return member


@transaction.atomic
def member_cancel_scheduled(*, account, member, actor, as_of) -> Member:
    account = _lock_account(account)
    member = Member.objects.select_for_update().get(pk=member.pk, account=account)
    if not member.pending_state:
        raise DomainError(_("Nothing is scheduled for this user."),
                          code="nothing_scheduled", status=409)
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
            code="member_not_suspended", status=409,
        )
    # the seat their own invitation holds (an invitee suspended before accepting), else a free one
    seat = _held_for(member) or _free_seat(account)
    if seat is None:
        raise DomainError(
            _("There is no free seat to restore %(email)s onto. Add a seat first.")
            % {"email": member.email},
            code="no_free_seat", status=409,
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
