from datetime import date

from celery import shared_task

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
    name="seats.send_invitation_email", autoretry_for=(OSError,), retry_backoff=30,
    max_retries=8,
)
def send_invitation_email(member_id, inviter_email="", language=""):
    """`language`: the one to write in (the inviter's); tasks queued before it existed have none
    and get the site default."""
    member = Member.objects.select_related("user", "account").filter(pk=member_id).first()
    if member is None:
        return {"sent": False, "reason": "member gone"}
    services.send_invitation(member, inviter_email, language)
    return {"sent": True, "to": member.email}


@shared_task(name="seats.send_signup_confirmation_email", autoretry_for=(OSError,),
             retry_backoff=30, max_retries=8)
def send_signup_confirmation_email(member_id, language=""):
    """The link that finishes a sign-up (issue 13: sign-up no longer logs in at once)."""
    member = Member.objects.select_related("user", "account").filter(pk=member_id).first()
    if member is None:
        return {"sent": False, "reason": "member gone"}
    services.send_signup_confirmation(member, language)
    return {"sent": True, "to": member.email}


@shared_task(name="seats.send_address_taken_email", autoretry_for=(OSError,),
             retry_backoff=30, max_retries=8)
def send_address_taken_email(email, reason, account_name="", inviter_email=""):
    """The note to an address that already has a login, sent instead of revealing that to
    whoever signed up or invited it (issue 13)."""
    services.send_address_taken(email, reason, account_name, inviter_email)
    return {"sent": True, "to": email, "reason": reason}
