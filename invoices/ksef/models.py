"""Where each VAT / corrective invoice stands in KSeF (issue 15).

`Document` is immutable once issued, so its KSeF life is kept in its own row, one per document,
written only by `invoices.ksef.sending`:

    (no row) "not sent" ──queue──▶ queued ──send──▶ sent ──KSeF 200──▶ accepted (number, UPO)
                                     ▲  │                 └─KSeF ≥400──▶ rejected (code, reason)
                                     │  └── not valid FA(3) ─────────────▶ rejected (code null)
                                     └──────────── resend (finance) ◀──── rejected

Invariants (database constraints): an accepted row has its KSeF number, acceptance time and
XML hash (the PDF's verification link needs it); a
rejected one has its reason; a sent one has KSeF's reference numbers; no KSeF number twice.
`xml` is the exact FA(3) file sent (validated against the XSD before it is stored); its SHA-256
(`invoice_hash`, base64 as KSeF computes it) goes into the verification link (KOD I) on the PDF.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class KsefStatus(models.TextChoices):
    # "not sent" has no row: issued before KSeF sending was configured, or sending is off
    NOT_SENT = "not_sent", pgettext_lazy("KSeF status", "not sent")
    QUEUED = "queued", pgettext_lazy("KSeF status", "queued")
    SENT = "sent", pgettext_lazy("KSeF status", "sent, awaiting KSeF")
    ACCEPTED = "accepted", pgettext_lazy("KSeF status", "accepted")
    REJECTED = "rejected", pgettext_lazy("KSeF status", "rejected")


# from → the statuses it may move to (the sending service refuses anything else)
KSEF_TRANSITIONS = {
    KsefStatus.QUEUED: {KsefStatus.SENT, KsefStatus.REJECTED, KsefStatus.ACCEPTED},
    KsefStatus.SENT: {KsefStatus.ACCEPTED, KsefStatus.REJECTED},
    KsefStatus.REJECTED: {KsefStatus.QUEUED},
    KsefStatus.ACCEPTED: set(),
}


class KsefSubmission(models.Model):
    """One document's way through KSeF. See the module docstring for the states."""

    document = models.OneToOneField("invoices.Document", on_delete=models.PROTECT,
                                    related_name="ksef_submission", verbose_name=_("document"))
    status = models.CharField(_("KSeF status"), max_length=10, default=KsefStatus.QUEUED,
                              choices=[c for c in KsefStatus.choices
                                       if c[0] != KsefStatus.NOT_SENT])
    # the FA(3) file as sent (UTF-8 text); empty until the first send attempt built it
    xml = models.TextField(_("FA(3) XML"), blank=True)
    # SHA-256 of `xml`, base64 (44 characters), as KSeF reports it back
    invoice_hash = models.CharField(_("XML hash"), max_length=64, blank=True)
    # KSeF's reference numbers of the online session and of the invoice in it
    session_reference = models.CharField(_("session reference"), max_length=64, blank=True)
    invoice_reference = models.CharField(_("invoice reference"), max_length=64, blank=True)
    # e.g. 5260250995-20261205-0100001AF629-AF (35 characters)
    ksef_number = models.CharField(_("KSeF number"), max_length=64, blank=True)
    accepted_at = models.DateTimeField(_("accepted by KSeF at"), null=True, blank=True)
    # KSeF's status code (e.g. 450 invalid document, 440 duplicate); null = refused here, before
    # sending (the XML did not validate against the FA(3) schema)
    rejection_code = models.PositiveIntegerField(_("rejection code"), null=True, blank=True)
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    # the UPO (official receipt, XML) once KSeF gives it
    upo = models.TextField(_("UPO"), blank=True)
    # sending attempts that failed for a passing reason (outage, time-out); the next one is
    # not before `next_attempt_at` (exponential backoff, `sending.retry_delay`)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("KSeF submission")
        verbose_name_plural = _("KSeF submissions")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.UniqueConstraint(fields=["ksef_number"], condition=~Q(ksef_number=""),
                                    name="ksef_number_unique"),
            models.CheckConstraint(
                condition=~Q(status="accepted")
                | (~Q(ksef_number="") & Q(accepted_at__isnull=False) & ~Q(invoice_hash="")),
                name="ksef_accepted_has_number"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="ksef_rejected_has_reason"),
            models.CheckConstraint(
                condition=~Q(status="sent")
                | (~Q(session_reference="") & ~Q(invoice_reference="") & ~Q(xml="")),
                name="ksef_sent_has_references"),
        ]

    def __str__(self):
        return f"{self.document} → KSeF {self.status}"
