"""Tickets (SPEC §8): opening one with its SLA deadline, the first response, the breach sweep.

Decisions (where SPEC §8 is silent):
- e-mail scope "bugs only" (COMMUNITY): a non-bug ticket by e-mail or through the portal is
  refused with a message pointing to the forum (configuration help is "forum" in the tiers
  table), rather than accepted without a deadline: the plan does not cover it at all;
- a phone ticket on a plan without phone support is refused;
- "past the monthly guaranteed limit": the contract's time entries of the ticket's month (real
  minutes of all channels, e-mail included, `selectors.minutes_used`) have reached
  `plan.monthly_limit_minutes`; then non-bug tickets get no deadline (bugs keep theirs);
- the deadline is counted on the plan the contract has on the day the ticket was received;
  the `critical` flag makes the clock run on days off only on plans with
  `critical_on_days_off` (see `support_plans.sla`);
- a ticket filed with a `received_at` whose deadline has already passed (staff back-filling
  one) is marked breached at once if it has no response.
"""

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.errors import DomainError
from seats.audit import audit_entry, snapshot
from seats.models import AuditEntry

from .. import sla
from ..models import ContractStatus, EmailScope, Ticket, TicketChannel, TicketKind
from ..selectors import CALENDAR, minutes_used, plan_on
from .common import audit, lock_contract, user_or_none

TICKET_FIELDS = ["received_at", "channel", "kind", "critical", "reporter", "subject",
                 "deadline", "first_response_at", "breached"]
SUBJECT_MAX = Ticket._meta.get_field("subject").max_length


def _aware(value, field) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise DomainError(_("Enter a date and time with its time zone."), field=field,
                          code="datetime_invalid")
    return value


def check_contract_covers(contract, day, *, field) -> None:
    """Refuse (`DomainError`, code `contract_not_running`) when the contract does not cover the
    business date `day`: before its start, after its end (a cancelled contract covers the days
    up to `ends_on`), or ended."""
    if contract.status == ContractStatus.ENDED and contract.ends_on < contract.start:
        raise DomainError(_("This support contract has ended."), field=field,
                          code="contract_not_running")
    if day < contract.start:
        raise DomainError(_("The support contract starts on %(day)s.")
                          % {"day": formatting.day(contract.start)}, field=field,
                          code="contract_not_running")
    if contract.ends_on is not None and day > contract.ends_on:
        raise DomainError(_("The support contract was cancelled and ended on %(day)s.")
                          % {"day": formatting.day(contract.ends_on)}, field=field,
                          code="contract_not_running")


def limit_reached(contract, plan, day) -> bool:
    """Whether the contract's guaranteed-support time in the month of `day` has reached the
    plan's monthly limit (never, for a plan without one)."""
    if plan.monthly_limit_minutes is None:
        return False
    return minutes_used(contract, day)["limit_used"] >= plan.monthly_limit_minutes


@transaction.atomic
def ticket_open(*, contract, received_at: datetime, channel: str, kind: str, reporter,
                subject: str = "", critical: bool = False, actor, now: datetime) -> Ticket:
    """Open a ticket for `contract` received at `received_at` (aware) from `reporter` (the
    contract's contact `Member`). Its `deadline` is `sla.deadline` on the contract's plan that
    day (None: no guarantee, or past the monthly limit for a non-bug matter). Returns the
    `Ticket`. SPEC §8.

    Refused with `DomainError` (400), nothing written: unknown channel or kind; `received_at`
    naive or after `now` (`received_in_future`); the contract does not cover that day
    (`contract_not_running`: not started, cancelled and ended); a reporter who is not the
    contract's contact (`reporter_not_contact`); a phone ticket on a plan without phone support
    (`phone_not_in_plan`); a non-bug e-mail/portal ticket on a "bugs only" plan
    (`email_bugs_only`); a subject longer than 200 characters. Locks the contract (the limit is
    read under it). Writes a `ticket.open` audit row."""
    if channel not in TicketChannel.values:
        raise DomainError(_("Choose the channel: e-mail, phone or portal."), field="channel",
                          code="channel_unknown")
    if kind not in TicketKind.values:
        raise DomainError(_("Choose the kind: bug, configuration or other."), field="kind",
                          code="kind_unknown")
    received_at = _aware(received_at, "received_at")
    if received_at > now:
        raise DomainError(_("A ticket cannot be received in the future."), field="received_at",
                          code="received_in_future")
    subject = (subject or "").strip()
    if len(subject) > SUBJECT_MAX:
        raise DomainError(_("The subject has at most %(max)d characters.") % {"max": SUBJECT_MAX},
                          field="subject", code="subject_too_long")
    contract = lock_contract(contract)
    day = received_at.astimezone(sla.WARSAW).date()
    check_contract_covers(contract, day, field="contract")
    if reporter is None or getattr(reporter, "pk", None) != contract.contact_id:
        raise DomainError(
            _("Only the contract's contact person (%(contact)s) may file tickets.")
            % {"contact": contract.contact.email}, field="reporter", code="reporter_not_contact")
    plan = plan_on(contract, day)
    if channel == TicketChannel.PHONE and not plan.phone:
        raise DomainError(_("The %(plan)s plan has no phone support.") % {"plan": plan},
                          field="channel", code="phone_not_in_plan")
    if plan.email_scope == EmailScope.BUGS and kind != TicketKind.BUG:
        raise DomainError(
            _("The %(plan)s plan covers bug reports only; please ask about configuration and "
              "other matters on the forum.") % {"plan": plan},
            field="kind", code="email_bugs_only")
    if kind != TicketKind.BUG and limit_reached(contract, plan, day):
        deadline = None  # past the monthly limit: answered, but without a guarantee
    else:
        deadline = sla.deadline(received_at, plan, CALENDAR, critical=bool(critical))
    ticket = Ticket.objects.create(
        contract=contract, received_at=received_at, channel=channel, kind=kind,
        critical=bool(critical), reporter=reporter, subject=subject, deadline=deadline,
        breached=deadline is not None and deadline < now, created_by=user_or_none(actor))
    audit(contract=contract, actor=actor, action="ticket.open", target=ticket,
          after=snapshot(ticket, TICKET_FIELDS))
    return ticket


@transaction.atomic
def ticket_respond(*, ticket, responded_at: datetime, actor, now: datetime | None = None
                   ) -> Ticket:
    """Record the ticket's first response at `responded_at` (aware); `breached` becomes whether
    it came after the deadline. Refused with `DomainError`: already answered
    (`already_responded`, 409), before the ticket was received (`response_before_received`),
    after `now` when given (`response_in_future`). Writes a `ticket.respond` audit row."""
    responded_at = _aware(responded_at, "responded_at")
    ticket = Ticket.objects.select_for_update().select_related("contract__account").get(
        pk=ticket.pk)
    if ticket.first_response_at is not None:
        raise DomainError(_("This ticket already has its first response."),
                          code="already_responded", status=409)
    if responded_at < ticket.received_at:
        raise DomainError(_("The response cannot come before the ticket was received."),
                          field="responded_at", code="response_before_received")
    if now is not None and responded_at > now:
        raise DomainError(_("The response cannot be in the future."), field="responded_at",
                          code="response_in_future")
    before = snapshot(ticket, TICKET_FIELDS)
    ticket.first_response_at = responded_at
    ticket.breached = ticket.deadline is not None and responded_at > ticket.deadline
    ticket.save(update_fields=["first_response_at", "breached"])
    audit(contract=ticket.contract, actor=actor, action="ticket.respond", target=ticket,
          before=before, after=snapshot(ticket, TICKET_FIELDS))
    return ticket


def tickets_mark_breached(*, now: datetime) -> int:
    """The periodic sweep (idempotent; safe to run concurrently): mark tickets whose deadline
    passed before `now` without a first response as breached, with a `ticket.breached` audit
    row each. Returns how many were marked."""
    with transaction.atomic():
        due = list(Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                   .select_related("contract__account")
                   .filter(deadline__lt=now, first_response_at__isnull=True, breached=False))
        if not due:
            return 0
        Ticket.objects.filter(pk__in=[t.pk for t in due]).update(breached=True)
        AuditEntry.objects.bulk_create([
            audit_entry(account=t.contract.account, actor=None, action="ticket.breached",
                        target=t, before={"breached": False},
                        after={"breached": True, "deadline": t.deadline.isoformat()})
            for t in due])
        return len(due)
