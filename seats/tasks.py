from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError

from billing_site.dates import today

from . import services
from .models import Member


@shared_task(name="seats.apply_scheduled_member_changes", acks_late=True)
def apply_scheduled_member_changes(as_of=None):
    """Daily: apply suspensions/deletions whose effective date has come. Safe to run twice."""
    day = date.fromisoformat(as_of) if as_of else today()
    applied = services.members_apply_scheduled(as_of=day)
    return {"as_of": day.isoformat(), "applied": applied}


@shared_task(
    bind=True, name="seats.send_invitation_email",
    # SMTP refused (OSError) or the database gone for a moment: try again later
    autoretry_for=(OSError, OperationalError, InterfaceError), retry_backoff=30, max_retries=8,
    # a worker killed mid-send leaves the message for the next one (issue 13, item 14)
    acks_late=True, reject_on_worker_lost=True,
)
def send_invitation_email(self, member_id, inviter_email="", language=""):
    """`language`: the one to write in (the inviter's); tasks queued before it existed have none
    and get the site default. Sent once per task message (its id is the idempotency key): a
    message delivered again after a worker died does not send a second e-mail."""
    member = Member.objects.select_related("user", "account").filter(pk=member_id).first()
    if member is None:
        return {"sent": False, "reason": "member gone"}
    sent = services.send_invitation(member, inviter_email, language,
                                    once_key=self.request.id or "")
    if not sent:
        return {"sent": False, "reason": "already sent", "to": member.email}
    return {"sent": True, "to": member.email}


@shared_task(
    bind=True, name="seats.send_signup_confirmation_email",
    autoretry_for=(OSError, OperationalError, InterfaceError), retry_backoff=30, max_retries=8,
    acks_late=True, reject_on_worker_lost=True,
)
def send_signup_confirmation_email(self, member_id, language=""):
    """The link that finishes a sign-up (issue 13: sign-up no longer logs in at once)."""
    member = Member.objects.select_related("user", "account").filter(pk=member_id).first()
    if member is None:
        return {"sent": False, "reason": "member gone"}
    # sent once per task message, like the invitation
    services.send_signup_confirmation(member, language, once_key=self.request.id or "")
    return {"sent": True, "to": member.email}


@shared_task(
    bind=True, name="seats.send_address_taken_email",
    autoretry_for=(OSError, OperationalError, InterfaceError), retry_backoff=30, max_retries=8,
    acks_late=True, reject_on_worker_lost=True,
)
def send_address_taken_email(self, email, reason, account_name="", inviter_email="",
                             language=""):
    """The note to an address that already has a login, sent instead of revealing that to
    whoever signed up or invited it (issue 13); `language`: the sign-up request's (issues 12/13;
    messages queued before it existed have none and get the owner's)."""
    services.send_address_taken(email, reason, account_name, inviter_email, language,
                                once_key=self.request.id or "")
    return {"sent": True, "to": email, "reason": reason}
