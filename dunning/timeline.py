"""An account's history for ops (issue 10, "a timeline page"): its seats with their validity
ledger, and one chronological list of what happened to it — recorded phase changes, orders,
payments, refunds, documents, dunning e-mails and audit entries.

Reads only. Each kind is read with one query, capped at `limit` rows (the newest), so the page
costs a constant number of queries however long the account's history is; a capped kind is
reported so the page can say that older rows exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoices.models import Document
from payments.models import Payment, Refund
from plans.models import Order
from seats.models import AuditEntry, Seat, SeatPeriod

from .models import Notice, PhaseTransition

KINDS = {
    "phase": gettext_lazy("phase"),
    "order": gettext_lazy("order"),
    "payment": gettext_lazy("payment"),
    "refund": gettext_lazy("refund"),
    "document": gettext_lazy("document"),
    "notice": gettext_lazy("e-mail"),
    "audit": gettext_lazy("audit"),
}

# audit actions as the timeline names them (issue 14: support_plans' rows showed raw codes such
# as "ticket.open"); an action without a label is shown as its code
AUDIT_ACTIONS = {
    "ticket.open": gettext_lazy("Support ticket filed"),
    "ticket.respond": gettext_lazy("Support ticket answered (first response)"),
    "ticket.breached": gettext_lazy("Support ticket past its reaction deadline"),
    "time_entry.add": gettext_lazy("Support time entered"),
    "support_contract.order": gettext_lazy("Support plan ordered"),
    "support_contract.change_plan": gettext_lazy("Support plan changed"),
    "support_contract.plan_applied": gettext_lazy("Scheduled support plan change applied"),
    "support_contract.cancel": gettext_lazy("Support contract cancelled (notice given)"),
    "support_contract.cancel_withdraw": gettext_lazy("Support contract cancellation withdrawn"),
    "support_contract.contact": gettext_lazy("Support contact person changed"),
    "support_contract.end": gettext_lazy("Support contract ended"),
    "support_settlement.settle": gettext_lazy("Support month settled"),
}


def _target_label(target_type: str, target_id) -> str:
    """"ticket #10" for "support_plans.ticket" and 10: the model's (translated) name; the
    stored type when no installed model has it (a row of a removed model)."""
    try:
        name = str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = target_type
    return f"{name} #{target_id}" if target_id else name


@dataclass(frozen=True)
class TimelineEvent:
    day: date  # the business date it happened on (Europe/Warsaw)
    at: datetime | None  # the exact time, when the row has one
    kind: str  # a key of KINDS
    title: str
    detail: str
    obj: object = None  # the row, for a link to its admin page

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])


@dataclass
class Timeline:
    seats: list  # Seat rows, each with `periods` (its ledger rows in order) prefetched
    events: list[TimelineEvent]
    capped: list[str] = field(default_factory=list)  # kinds with older rows not shown
    seats_capped: bool = False


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _money(amount, currency) -> str:
    return f"{amount} {currency}"


def _day(value: date | None) -> str:
    return date_format(value, "DATE_FORMAT") if value else "—"


def account_timeline(account, *, limit: int = 200) -> Timeline:
    """The timeline of `account`, newest first (a constant number of queries)."""
    capped: list[str] = []

    def newest(queryset, kind):
        rows = list(queryset[:limit + 1])
        if len(rows) > limit:
            capped.append(str(KINDS[kind]))
        return rows[:limit]

    events: list[TimelineEvent] = []
    for row in newest(PhaseTransition.objects.filter(account=account)
                      .order_by("-effective_on", "-id"), "phase"):
        subject = (_("seat #%(seat)s") % {"seat": row.seat_id} if row.seat_id
                   else _("account"))
        events.append(TimelineEvent(
            row.effective_on, None, "phase",
            _("%(subject)s: %(old)s → %(new)s") % {
                "subject": subject, "old": row.get_from_phase_display(),
                "new": row.get_to_phase_display()},
            _("recorded by the sweep of %(day)s") % {"day": _day(row.recorded_on)}, row))
    for row in newest(Order.objects.filter(account=account).order_by("-created_at", "-id"),
                      "order"):
        valid_until = (row.quote or {}).get("valid_until")
        detail = _("%(gross)s gross, %(status)s; quoted on %(day)s") % {
            "gross": _money(row.gross, row.currency), "status": row.get_status_display(),
            "day": _day(row.as_of)}
        if valid_until:
            detail += "; " + _("seats valid until %(day)s once paid") % {
                "day": _day(date.fromisoformat(valid_until))}
        events.append(TimelineEvent(
            _local_day(row.created_at), row.created_at, "order",
            _("Order #%(id)s (%(kind)s)") % {"id": row.pk, "kind": row.get_kind_display()},
            detail, row))
    for row in newest(Payment.objects.filter(account=account).order_by("-created_at", "-id"),
                      "payment"):
        detail = _("%(amount)s, %(status)s; order #%(order)s") % {
            "amount": _money(row.amount, row.currency), "status": row.get_status_display(),
            "order": row.order_id}
        if row.decline_reason:
            detail += f"; {row.decline_reason}"
        events.append(TimelineEvent(
            _local_day(row.created_at), row.created_at, "payment",
            _("Payment #%(id)s by %(method)s") % {"id": row.pk,
                                                   "method": row.get_method_display()},
            detail, row))
    for row in newest(Refund.objects.filter(account=account).order_by("-created_at", "-id"),
                      "refund"):
        events.append(TimelineEvent(
            _local_day(row.created_at), row.created_at, "refund",
            _("Refund #%(id)s (%(kind)s)") % {"id": row.pk, "kind": row.get_kind_display()},
            _("%(amount)s of payment #%(payment)s") % {
                "amount": _money(row.amount, row.currency), "payment": row.payment_id}, row))
    for row in newest(Document.objects.filter(account=account).order_by("-created_at", "-id"),
                      "document"):
        detail = _("%(gross)s gross, %(status)s") % {
            "gross": _money(row.gross, row.currency), "status": row.get_status_display()}
        if row.order_id:
            detail += "; " + _("order #%(order)s") % {"order": row.order_id}
        if row.emailed_at:
            detail += "; " + _("e-mailed %(at)s") % {
                "at": date_format(timezone.localtime(row.emailed_at), "DATETIME_FORMAT")}
        events.append(TimelineEvent(
            row.issue_date or _local_day(row.created_at), row.created_at, "document",
            _("%(kind)s %(number)s") % {"kind": row.get_kind_display(),
                                         "number": row.number or _("(not numbered yet)")},
            detail, row))
    for row in newest(Notice.objects.filter(account=account).order_by("-created_on", "-id"),
                      "notice"):
        if row.sent_at:
            sent = _("sent %(at)s") % {
                "at": date_format(timezone.localtime(row.sent_at), "DATETIME_FORMAT")}
        else:
            sent = _("not sent yet (%(attempts)d attempts)") % {"attempts": row.attempts}
            if row.last_error:
                sent += f": {row.last_error}"
        events.append(TimelineEvent(
            row.created_on, row.sent_at, "notice",
            _("Dunning e-mail: %(kind)s (about %(day)s)") % {
                "kind": row.get_kind_display(), "day": _day(row.about_date)},
            _("to %(recipients)s; %(sent)s") % {
                "recipients": ", ".join(row.recipients) or "—", "sent": sent}, row))
    for row in newest(AuditEntry.objects.filter(account=account).order_by("-at", "-id"),
                      "audit"):
        target = _target_label(row.target_type, row.target_id)
        events.append(TimelineEvent(
            _local_day(row.at), row.at, "audit", str(AUDIT_ACTIONS.get(row.action, row.action)),
            _("%(target)s by %(actor)s") % {"target": target, "actor": row.actor_label}, row))

    events.sort(key=lambda event: (event.day, event.at.timestamp() if event.at else 0.0),
                reverse=True)
    seats = list(
        Seat.objects.filter(account=account).select_related("member__user")
        .prefetch_related(Prefetch("periods", queryset=SeatPeriod.objects.order_by("id")))
        .order_by(F("removed_on").asc(nulls_first=True), "id")[:limit + 1]
    )
    return Timeline(seats=seats[:limit], events=events, capped=capped,
                    seats_capped=len(seats) > limit)
