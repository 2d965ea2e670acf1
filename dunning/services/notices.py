"""Dunning e-mails to an account's admins (SPEC §6: 7 days and 1 day before expiry, on entering
grace, blocked, suspended, trial ending and ended, recurring payments turned off, a recurring
charge declined or needing the card holder; SPEC §3: overdue contract invoices).

A notice is created once: the `Notice` row is unique per account, kind and reference, and is
created inside the sweep's transaction for that account (under the account's lock), so two
sweeps cannot both create it. It is sent after that transaction commits (`notices_send`), each
row claimed with `select_for_update(skip_locked=True)` and marked `sent_at` in the same
transaction as the send: a sender that dies before committing leaves it unsent for the next run,
and two senders never pick the same row. (A process killed after the mail server accepted the
message and before the commit would send it again: the one duplicate SMTP allows.)

The e-mail is bilingual (Polish, then English), like the documents' e-mails: the admins' language
is not known.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from catalogue.models import BillingPolicy
from invoices.models import Document
from invoices.services.invoice_transfers import invoice_balance
from payments.gateway import decline_reason_known
from seats.models import Member, MemberRole, MemberState

from ..models import Notice, NoticeKind, RecurringAttempt

logger = logging.getLogger(__name__)

SEND_BATCH = 100


def notice_create(*, account_id: int, kind: str, reference: str, about_date: date,
                  as_of: date) -> Notice | None:
    """Create the notice `kind` about `reference` for the account unless it exists; returns
    the new row, or None when it was already there. Call it inside the transaction that holds
    the account's lock (the sweep's); the unique constraint backs the rule anyway."""
    if kind not in NoticeKind.values:
        raise ValueError(f"unknown notice kind {kind!r}")
    if Notice.objects.filter(account_id=account_id, kind=kind, reference=reference).exists():
        return None
    return Notice.objects.create(account_id=account_id, kind=kind, reference=reference,
                                 about_date=about_date, created_on=as_of)


def notices_send(*, limit: int | None = None, notice_ids=None) -> int:
    """Send unsent notices (all, or those of `notice_ids`), in batches, each batch in one
    transaction holding the rows' locks. Returns how many were sent. A notice whose account has
    no active admin is marked sent with no recipients (recorded, nobody to tell)."""
    sent, policy = 0, None
    while limit is None or sent < limit:
        with transaction.atomic():
            rows = Notice.objects.select_for_update(skip_locked=True).filter(sent_at__isnull=True)
            if notice_ids is not None:
                rows = rows.filter(pk__in=list(notice_ids))
            batch = list(rows.select_related("account").order_by("id")[:SEND_BATCH])
            if not batch:
                break
            policy = policy or BillingPolicy.current()
            admins = admin_emails({notice.account_id for notice in batch})
            for notice in batch:
                try:
                    notice.recipients = _send(notice, admins.get(notice.account_id, []), policy)
                except Exception as exc:  # the mail server refused: keep it for the next run
                    logger.exception("Dunning notice %s could not be sent", notice.pk)
                    notice.attempts += 1
                    notice.last_error = str(exc)[:2000]
                    notice.save(update_fields=["attempts", "last_error"])
                    continue
                notice.sent_at = timezone.now()
                notice.attempts += 1
                notice.save(update_fields=["recipients", "sent_at", "attempts"])
                sent += 1
            if notice_ids is None and len(batch) < SEND_BATCH:
                break
            if notice_ids is not None:
                break
    return sent


def admin_emails(account_ids) -> dict[int, list[str]]:
    """{account id: its active admins' e-mail addresses, sorted}, in one query."""
    found: dict[int, list[str]] = {}
    for account_id, email in (
            Member.objects.filter(account_id__in=list(account_ids), role=MemberRole.ADMIN,
                                  state=MemberState.ACTIVE, user__is_active=True)
            .order_by("user__email").values_list("account_id", "user__email")):
        found.setdefault(account_id, []).append(email)
    return found


def _send(notice, recipients: list[str], policy) -> list[str]:
    if not recipients:
        return []
    subject, body = notice_message(notice, policy=policy)
    send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL,
              recipient_list=recipients)
    return recipients


def notice_message(notice, *, policy=None) -> tuple[str, str]:
    """(subject, body) of a notice's e-mail, Polish then English. `policy`: the billing policy
    (read when not given)."""
    policy = policy or BillingPolicy.current()
    context = {
        "notice": notice, "account": notice.account, "about": notice.about_date,
        "renew_link": settings.SITE_URL.rstrip("/") + reverse("payments_renew"),
        "blocked_on": notice.about_date + timedelta(days=policy.grace_days + 1),
        "suspended_on": notice.about_date + timedelta(days=policy.blocked_through_day + 1),
        "deleted_on": notice.about_date + timedelta(days=policy.trial_deletion_days),
    }
    if notice.kind == NoticeKind.CONTRACT_OVERDUE:
        # reference "invoice:<document id>:<reminder step>"
        document_id = int(notice.reference.split(":")[1])
        context["document"] = document = Document.objects.filter(pk=document_id).first()
        if document is not None:  # partly paid by transfer: the e-mail says what is left
            _invoiced, context["paid_so_far"], context["still_due"] = invoice_balance(document)
    if notice.kind in (NoticeKind.RECURRING_DECLINED, NoticeKind.RECURRING_AUTH):
        context.update(_recurring_context(notice))
    parts, subjects = [], []
    for language in ("pl", "en"):
        with translation.override(language):
            subjects.append(" ".join(render_to_string(
                "dunning/email/notice_subject.txt", context).split()))
            parts.append(render_to_string("dunning/email/notice_body.txt", context).strip())
    return " / ".join(subjects), "\n\n-----\n\n".join(parts) + "\n"


def _recurring_context(notice) -> dict:
    """For the recurring-charge e-mails (reference "charge:<charge id>:<attempt number>"): the
    attempt (its decline reason and next retry), the order's amount, and the link to pay that
    order on its payment page."""
    _prefix, charge_id, number = notice.reference.split(":")
    attempt = (RecurringAttempt.objects.select_related("charge__order")
               .filter(charge_id=int(charge_id), number=int(number)).first())
    if attempt is None:
        return {}
    order = attempt.charge.order
    return {"attempt": attempt, "order": order, "period_end": attempt.charge.period_end,
            # stored as words in the language of the moment: given in each e-mail language
            "reason": decline_reason_known(attempt.decline_reason),
            "pay_link": settings.SITE_URL.rstrip("/") + reverse("payments_pay",
                                                                args=[order.pk])}
