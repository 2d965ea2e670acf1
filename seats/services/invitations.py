"""Invitations as the members list shows them (issues 12/13): pending until the invitee acts,
the same way whoever owns the address; an admin re-sends or cancels them. `member_invite`
(in `members`) creates them; see `seats.models.Invitation` for the model."""

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from billing_site.errors import DomainError

from ..audit import audit_record, snapshot
from ..models import INVITATION_TRANSITIONS, Invitation, InvitationStatus, Member, Seat
from ..selectors import invitation_is_open
from .common import SEAT_FIELDS, _lock_account
from .emails import queue_limited

INVITATION_FIELDS = ["email", "role", "status", "member", "seat", "invited_on", "sent_on"]


def invitation_record(*, account, email, role, member, seat, actor, as_of) -> Invitation:
    """Write the pending invitation of `email` (lower-case) into `account` (locked by the
    caller, inside its transaction), with an "invitation.create" audit row. `member`: the
    member the invitation created, or None for an address with a login elsewhere; `seat`: the
    seat it holds (free and locked by the caller, or the one `member` now occupies)."""
    invitation = Invitation.objects.create(
        account=account, email=email, role=role, member=member, seat=seat,
        invited_by=actor if actor is not None and actor.pk else None,
        invited_on=as_of, sent_on=as_of,
    )
    audit_record(account=account, actor=actor, action="invitation.create", target=invitation,
                 after=snapshot(invitation, INVITATION_FIELDS))
    return invitation


def invitations_settle(*, account, email=None, seat=None) -> None:
    """Mark accepted the pending invitations of `account` (of `email` only, on `seat` only,
    when given) whose invitee has set a password since. Inside the caller's transaction."""
    rows = Invitation.objects.filter(account=account, status=InvitationStatus.PENDING,
                                     member__isnull=False)
    if email is not None:
        rows = rows.filter(email=email)
    if seat is not None:
        rows = rows.filter(seat=seat)
    for invitation in rows.select_related("member__user"):
        if not invitation_is_open(invitation):
            _transition(invitation, InvitationStatus.ACCEPTED, actor=None)


def invitations_accept(*, user) -> int:
    """The invitee `user` set their password through the invitation link: their pending
    invitations are accepted (the members list shows them as members from now on). Returns how
    many. Called by the password-setting page."""
    accepted = 0
    for invitation in Invitation.objects.filter(member__user=user,
                                                status=InvitationStatus.PENDING):
        with transaction.atomic():
            _lock_account(invitation.account)
            invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if invitation.status == InvitationStatus.PENDING:
                _transition(invitation, InvitationStatus.ACCEPTED, actor=user)
                accepted += 1
    return accepted


def _transition(invitation, status, *, actor):
    if status not in INVITATION_TRANSITIONS[InvitationStatus(invitation.status)]:
        raise DomainError(_("This invitation is no longer waiting for acceptance."),
                          code="invitation_closed", status=409)
    before = snapshot(invitation, INVITATION_FIELDS)
    invitation.status = status
    invitation.save(update_fields=["status"])
    audit_record(account=invitation.account, actor=actor, action=f"invitation.{status}",
                 target=invitation, before=before,
                 after=snapshot(invitation, INVITATION_FIELDS))


def _lock_open(account, invitation) -> Invitation:
    invitation = (Invitation.objects.select_for_update(of=("self",))
                  .select_related("member__user", "account").get(pk=invitation.pk,
                                                                 account=account))
    if invitation.status == InvitationStatus.PENDING and not invitation_is_open(invitation):
        _transition(invitation, InvitationStatus.ACCEPTED, actor=None)  # accepted since
    if invitation.status != InvitationStatus.PENDING:
        raise DomainError(_("This invitation is no longer waiting for acceptance."),
                          code="invitation_closed", status=409)
    return invitation


@transaction.atomic
def invitation_cancel(*, account, invitation, actor, as_of) -> Invitation:
    """Cancel a pending invitation (issues 12/13). Its seat is free again, whoever owns the
    address (issue 13 item 3): the hold ends with the pending status, and when the invitation
    had created a member who has not set a password yet, that member and their login go too
    (the seat stays, free, and the address is unknown again); an address with a login elsewhere
    is left as it is.
    Locks the account; audit rows "seat.release", "invitation.cancelled". DomainError 409
    (code "invitation_closed") when it was accepted or cancelled already."""
    account = _lock_account(account)
    invitation = _lock_open(account, invitation)
    member = invitation.member
    _transition(invitation, InvitationStatus.CANCELLED, actor=actor)
    if member is not None:
        seat = Seat.objects.select_for_update().filter(member=member).first()
        if seat is not None:
            seat_before = snapshot(seat, SEAT_FIELDS)
            seat.member = None
            seat.save(update_fields=["member"])
            audit_record(account=account, actor=actor, action="seat.release", target=seat,
                         before=seat_before, after=snapshot(seat, SEAT_FIELDS))
        user = member.user
        Member.objects.filter(pk=member.pk).delete()
        user.delete()
    return invitation


@transaction.atomic
def invitation_resend(*, account, invitation, actor, as_of) -> Invitation:
    """Send a pending invitation's e-mail again (issues 12/13): the link that sets the password to
    a member it created, the note on what to do to an address with a login elsewhere. Counts
    against settings.INVITATION_LIMIT per address (the excess is not sent; the answer is the
    same). Records `sent_on` = `as_of` and an "invitation.resend" audit row. DomainError 409
    (code "invitation_closed") when it is no longer pending."""
    account = _lock_account(account)
    invitation = _lock_open(account, invitation)
    before = snapshot(invitation, INVITATION_FIELDS)
    invitation.sent_on = as_of
    invitation.save(update_fields=["sent_on"])
    audit_record(account=account, actor=actor, action="invitation.resend", target=invitation,
                 before=before, after=snapshot(invitation, INVITATION_FIELDS))
    inviter = actor.email if actor is not None else ""
    if invitation.member is not None:
        queue_limited("seats.send_invitation_email", invitation.email, invitation.member.pk,
                      inviter, translation.get_language() or "")
    else:
        queue_limited("seats.send_address_taken_email", invitation.email, invitation.email,
                      "invitation", account.name, inviter)
    return invitation
