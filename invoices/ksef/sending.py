"""Sending issued invoices to KSeF API 2.0 and tracking them (issue 15), through `ksef-client`
(see the README for why that library).

One periodic job, `ksef_sync(now=...)` (task `invoices.ksef_sync`, every minute), does it all
when sending is configured (`ksef_enabled()`; otherwise it does nothing and documents stay
"not sent"):

1. `queue_documents` — every issued VAT / corrective invoice issued on or after
   `KSEF_START_DATE` gets its `KsefSubmission` row (queued). A correction waits until the invoice
   it corrects is accepted, so its XML can name that invoice's KSeF number.
2. `send_queued` — one authentication (KSeF token, RSA-OAEP with KSeF's public key), one online
   session (form FA (3), AES-256 key for the session), then each due document: build and
   validate its FA(3) XML, send it, record KSeF's reference → "sent". Each row is locked
   (`select_for_update(skip_locked)`) from before the XML is built until the reference is
   stored, so two runs never send one document twice; a worker killed mid-send rolls back to
   "queued" and the next attempt is caught by KSeF's own duplicate check (status 440, which
   names the KSeF number of the first copy: recorded as accepted).
3. `check_sent` — asks KSeF for each sent document's status: 200 → accepted with its KSeF number
   and acceptance time, then the UPO is fetched and the PDF is marked for one re-render (it
   shows the number and the KOD I QR); ≥ 400 → rejected with KSeF's code and reason; below 200 →
   still processing, asked again next run. Accepted rows without a UPO yet are retried.

Passing failures (no connection, time-out, HTTP 5xx / 429 / 401) leave the document queued with
`attempts` + 1 and `next_attempt_at` = now + `retry_delay(attempts)` (1, 2, 4 … 60 minutes):
nothing is lost. An XML that does not validate against the FA(3) schema is never sent: the row
is rejected here with the validator's message (`rejection_code` null). Finance can queue a
rejected document again (`submission_resend`) once the cause is fixed (by a correction where
the law needs one).
"""

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from billing_site.outbox import enqueue
from seats.audit import audit_record

from ..models import Document, DocumentKind, DocumentStatus
from .client import KsefConnection, KsefUnavailable
from .config import ksef_enabled
from .documents import document_fa3_xml
from .models import KSEF_TRANSITIONS, KsefStatus, KsefSubmission

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # documents per run and session (the next run, a minute later, takes the rest)
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 3600
# KSeF invoice status codes (KSeF API 2.0, SessionInvoiceStatusResponse.status.code)
KSEF_OK = 200
KSEF_DUPLICATE = 440


def retry_delay(attempts: int) -> timedelta:
    """Wait before the attempt after `attempts` failed ones: 1, 2, 4, 8 … minutes, at most 60."""
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
                                 RETRY_MAX_SECONDS))


def sha256_base64(data: bytes) -> str:
    """SHA-256 of `data`, standard base64 (the form KSeF reports as `invoiceHash`)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


@dataclass
class SyncResult:
    queued: int = 0
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    retrying: int = 0
    upo_fetched: int = 0
    error: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def ksef_sync(*, now: datetime) -> dict:
    """The periodic job: queue, send, check (see the module docstring). Returns counts for the
    task result: {"enabled", "queued", "sent", "accepted", "rejected", "retrying",
    "upo_fetched", "error"}."""
    if not ksef_enabled():
        return {"enabled": False}
    result = SyncResult(queued=queue_documents(now=now))
    connection = KsefConnection()
    try:
        send_queued(connection, now=now, result=result)
        check_sent(connection, now=now, result=result)
    finally:
        connection.close()
    return {"enabled": True, **result.as_dict()}


def queue_documents(*, now: datetime) -> int:
    """Create the queued row of every issued VAT / corrective invoice (issue date on or after
    `KSEF_START_DATE`) that has none. Returns how many were queued. Safe to run twice at once
    (the one-to-one constraint; conflicts are ignored)."""
    missing = (Document.objects
               .filter(status=DocumentStatus.ISSUED,
                       kind__in=[DocumentKind.INVOICE, DocumentKind.CORRECTION],
                       issue_date__gte=settings.KSEF_START_DATE)
               .filter(~Exists(KsefSubmission.objects.filter(document=OuterRef("pk"))))
               .values_list("pk", flat=True))
    rows = [KsefSubmission(document_id=pk, status=KsefStatus.QUEUED, queued_at=now,
                           next_attempt_at=now) for pk in missing]
    created = KsefSubmission.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


# --- sending ------------------------------------------------------------------------------------


def _due(now: datetime):
    """Queued rows due now; a correction only once the invoice it corrects is accepted (or was
    never going to KSeF: issued before `KSEF_START_DATE`)."""
    original_waiting = KsefSubmission.objects.filter(
        ~Q(status=KsefStatus.ACCEPTED), document=OuterRef("document__corrects"))
    return (KsefSubmission.objects
            .filter(status=KsefStatus.QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(~Exists(original_waiting))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:BATCH_SIZE])


def send_queued(connection, *, now: datetime, result: SyncResult) -> None:
    """Send every due queued document (see the module docstring). A passing failure stops the
    run: that document and the rest wait for their next attempt."""
    for pk in list(_due(now)):
        try:
            with transaction.atomic():
                submission = (KsefSubmission.objects
                              .select_for_update(skip_locked=True, of=("self",))
                              .select_related("document__corrects__ksef_submission")
                              .filter(pk=pk, status=KsefStatus.QUEUED).first())
                if submission is None:
                    continue  # another run has it, or it moved on
                _send_one(connection, submission, now=now, result=result)
        except KsefUnavailable as exc:
            _postpone_all(list(_due(now)), error=str(exc), now=now, result=result)
            return


def _send_one(connection, submission: KsefSubmission, *, now: datetime, result: SyncResult):
    from ksef_client.exceptions import KsefHttpError

    try:
        xml = document_fa3_xml(submission.document)
    except DomainError as exc:  # not valid FA(3) (or not an e-invoice at all): never sent
        _move(submission, KsefStatus.REJECTED, now=now, rejection_code=None,
              rejection_reason=str(exc))
        result.rejected += 1
        return
    submission.xml = xml.decode("utf-8")
    submission.invoice_hash = sha256_base64(xml)
    try:
        reference = connection.send(xml)
    except KsefHttpError as exc:  # KSeF refused the request itself (4xx): its words, as they are
        _move(submission, KsefStatus.REJECTED, now=now, rejection_code=exc.status_code,
              rejection_reason=exc.message or str(exc))
        result.rejected += 1
        return
    submission.session_reference = connection.session_reference
    submission.invoice_reference = reference
    submission.sent_at = now
    _move(submission, KsefStatus.SENT, now=now)
    result.sent += 1


def _postpone_all(pks, *, error: str, now: datetime, result: SyncResult) -> None:
    """Passing failure: each still-queued row waits `retry_delay(attempts)`."""
    logger.warning("KSeF unavailable, %d document(s) wait: %s", len(pks), error)
    result.error = error
    for pk in pks:
        with transaction.atomic():
            submission = (KsefSubmission.objects.select_for_update(skip_locked=True)
                          .filter(pk=pk, status=KsefStatus.QUEUED).first())
            if submission is None:
                continue
            submission.attempts += 1
            submission.next_attempt_at = now + retry_delay(submission.attempts)
            submission.last_error = error[:2000]
            submission.save(update_fields=["attempts", "next_attempt_at", "last_error",
                                           "updated_at"])
            result.retrying += 1


# --- checking -----------------------------------------------------------------------------------


def check_sent(connection, *, now: datetime, result: SyncResult) -> None:
    """Ask KSeF about every sent document, and fetch missing UPOs of accepted ones."""
    try:
        for pk in list(KsefSubmission.objects.filter(status=KsefStatus.SENT)
                       .order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]):
            _check_one(connection, pk, now=now, result=result)
        for pk in list(KsefSubmission.objects.filter(status=KsefStatus.ACCEPTED, upo="")
                       .order_by("pk").values_list("pk", flat=True)[:BATCH_SIZE]):
            _fetch_upo(connection, pk, result=result)
    except KsefUnavailable as exc:
        logger.warning("KSeF unavailable while checking statuses: %s", exc)
        result.error = str(exc)


def _check_one(connection, pk: int, *, now: datetime, result: SyncResult) -> None:
    from ksef_client.exceptions import KsefHttpError

    submission = KsefSubmission.objects.filter(pk=pk, status=KsefStatus.SENT).first()
    if submission is None:
        return
    try:
        answer = connection.invoice_status(submission)  # outside the lock: a network call
    except KsefHttpError as exc:  # KSeF refuses to say (e.g. 404): noted, asked again next run
        logger.warning("KSeF status of %s: %s", submission.invoice_reference, exc)
        KsefSubmission.objects.filter(pk=pk, status=KsefStatus.SENT).update(
            last_error=f"KSeF HTTP {exc.status_code}: {exc.message}"[:2000],
            updated_at=timezone.now())
        return
    status = answer.status
    extensions = status.extensions or {}
    with transaction.atomic():
        submission = (KsefSubmission.objects.select_for_update().select_related("document")
                      .filter(pk=pk, status=KsefStatus.SENT).first())
        if submission is None:
            return
        if status.code == KSEF_OK and answer.ksef_number:
            _accept(submission, answer.ksef_number, _when(answer.acquisition_date, now), now=now)
            result.accepted += 1
        elif status.code == KSEF_DUPLICATE and extensions.get("originalKsefNumber"):
            # the same invoice reached KSeF before (a send whose answer we lost): that copy counts
            submission.session_reference = (extensions.get("originalSessionReferenceNumber")
                                            or submission.session_reference)
            _accept(submission, extensions["originalKsefNumber"],
                    _when(answer.acquisition_date, now), now=now)
            result.accepted += 1
        elif status.code >= 400:
            reason = status.description or ""
            if status.details:
                reason = f"{reason}: {'; '.join(status.details)}" if reason else \
                    "; ".join(status.details)
            _move(submission, KsefStatus.REJECTED, now=now, rejection_code=status.code,
                  rejection_reason=reason or _("rejected by KSeF"))
            result.rejected += 1
        # below 200: KSeF is still processing it; asked again next run


def _when(value: str | None, default: datetime) -> datetime:
    parsed = parse_datetime(value) if value else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_fixed_timezone(0))
    return parsed or default


def _accept(submission: KsefSubmission, ksef_number: str, accepted_at: datetime, *, now):
    submission.ksef_number = ksef_number
    submission.accepted_at = accepted_at
    _move(submission, KsefStatus.ACCEPTED, now=now)
    # the PDF now shows the KSeF number and the verification QR: render it once more
    document = submission.document
    document.needs_render = True
    document.save(update_fields=["needs_render"])
    enqueue("invoices.render_document", args=[document.pk],
            key=f"invoices.render_document:{document.pk}")


def _fetch_upo(connection, pk: int, *, result: SyncResult) -> None:
    from ksef_client.exceptions import KsefHttpError

    submission = KsefSubmission.objects.filter(pk=pk).first()
    try:
        upo = connection.upo(submission.session_reference, submission.ksef_number)
    except KsefHttpError as exc:  # not ready yet (404): next run
        logger.info("UPO of %s not available yet: %s", submission.ksef_number, exc)
        return
    updated = (KsefSubmission.objects.filter(pk=pk, upo="")
               .update(upo=upo.decode("utf-8"), updated_at=timezone.now()))
    result.upo_fetched += updated


# --- transitions --------------------------------------------------------------------------------


def _move(submission: KsefSubmission, to: str, *, now: datetime, **fields) -> None:
    """Save `submission` in status `to` (with `fields`), refusing a transition not in
    `KSEF_TRANSITIONS`, and write the audit row. The caller holds the row lock."""
    before = submission.status
    if to not in KSEF_TRANSITIONS[KsefStatus(before)] and before != to:
        raise DomainError(_("A KSeF submission cannot go from %(before)s to %(after)s.")
                          % {"before": before, "after": to}, code="ksef_stale_state",
                          status=409)
    for name, value in fields.items():
        setattr(submission, name, value)
    submission.status = to
    if to != KsefStatus.QUEUED:
        submission.next_attempt_at = None
    submission.last_error = "" if to != KsefStatus.QUEUED else submission.last_error
    submission.save()
    audit_record(account=submission.document.account, actor=None, action=f"ksef_{to}",
                 target=submission.document,
                 before={"ksef_status": before},
                 after={"ksef_status": to, "ksef_number": submission.ksef_number,
                        "rejection_code": submission.rejection_code,
                        "rejection_reason": submission.rejection_reason[:500]})


def submission_resend(*, document: Document, actor, now: datetime) -> KsefSubmission:
    """Queue a rejected document for sending again (finance, after fixing the cause: settings,
    KSeF permissions, or a correction where the invoice itself was wrong).

    Raises DomainError `ksef_not_rejected` (409) unless the document's KSeF status is
    "rejected"; `ksef_off` (409) when sending is not configured."""
    if not ksef_enabled():
        raise DomainError(_("Sending to KSeF is not configured on this installation."),
                          code="ksef_off", status=409)
    with transaction.atomic():
        submission = (KsefSubmission.objects.select_for_update().select_related("document")
                      .filter(document=document).first())
        if submission is None or submission.status != KsefStatus.REJECTED:
            raise DomainError(_("Only a document KSeF rejected can be sent again."),
                              code="ksef_not_rejected", status=409)
        before = {"ksef_status": submission.status,
                  "rejection_code": submission.rejection_code,
                  "rejection_reason": submission.rejection_reason[:500]}
        submission.status = KsefStatus.QUEUED
        submission.rejection_code = None
        submission.rejection_reason = ""
        submission.xml = ""
        submission.invoice_hash = ""
        submission.session_reference = submission.invoice_reference = ""
        submission.attempts = 0
        submission.queued_at = submission.next_attempt_at = now
        submission.save()
        audit_record(account=document.account, actor=actor, action="ksef_resend",
                     target=document, before=before, after={"ksef_status": KsefStatus.QUEUED})
    return submission
