"""Reads of support plans (SPEC §8). No writes; every read takes its date or instant."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import F, Q, Sum

from billing_site.dates import end_of_month

from . import sla
from .models import (
    RUNNING,
    ContractPlan,
    SupportContract,
    SupportPlan,
    SupportSettlement,
    Ticket,
    TimeChannel,
    TimeEntry,
)

CALENDAR = sla.WarsawCalendar()


def orderable_plans():
    """The plans customers may order (not individual ones), cheapest first."""
    return SupportPlan.objects.filter(orderable=True).order_by("monthly_fee", "code")


def plans_orderable_by(user):
    """The plans `user` may order, cheapest first: every plan for staff (individual ones such as
    PREMIUM and its per-customer copies included), the orderable ones for a customer."""
    if getattr(user, "is_staff", False):  # as `services.common.is_staff`
        return SupportPlan.objects.order_by("monthly_fee", "code")
    return orderable_plans()


def contract_current(account, as_of: date) -> SupportContract | None:
    """The account's contract that covers `as_of` or starts after it (running: active, or
    cancelled and not yet past `ends_on`); None when there is none. A contract cancelled earlier
    whose `ends_on` has passed is not current even before the daily job marks it ended."""
    return (SupportContract.objects
            .filter(account=account, status__in=RUNNING)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=as_of))
            .select_related("plan", "next_plan", "contact__user", "account")
            .order_by("start").first())


def plan_on(contract, day: date) -> SupportPlan:
    """The plan the contract has on `day`: the latest `ContractPlan` row from on or before it
    (a scheduled change counts from its day; before the start, the first plan)."""
    row = (ContractPlan.objects.filter(contract=contract, valid_from__lte=day)
           .select_related("plan").order_by("-valid_from").first())
    if row is None:
        row = (ContractPlan.objects.filter(contract=contract).select_related("plan")
               .order_by("valid_from").first())
    return row.plan if row is not None else contract.plan


def minutes_used(contract, month: date) -> dict:
    """Time entered for the contract in `month` (any day of it), in minutes:
    `{"included_used", "over_bundle", "limit_used", "billable", "email", "included"}` —
    included time used, minutes billed over the bundle, minutes counted against the monthly
    guaranteed-support limit (all entries' real minutes, e-mail included), billable minutes,
    e-mail minutes, and the plan's included minutes that month. SPEC §8."""
    first = month.replace(day=1)
    entries = TimeEntry.objects.filter(contract=contract, date__gte=first,
                                       date__lte=end_of_month(first))
    sums = entries.aggregate(included_used=Sum("included_minutes"),
                             over_bundle=Sum("billed_minutes_over_bundle"),
                             limit_used=Sum("minutes"), billable=Sum("billable_minutes"),
                             email=Sum("minutes", filter=Q(channel=TimeChannel.EMAIL)))
    result = {key: value or 0 for key, value in sums.items()}
    result["included"] = plan_on(contract, first).hours_included
    return result


@dataclass
class QueueRow:
    """A ticket in the queue with its working minutes left (negative: overdue by that many;
    None: no deadline) at `now`."""

    ticket: Ticket
    minutes_left: int | None

    @property
    def overdue(self) -> bool:
        return self.minutes_left is not None and self.minutes_left < 0


def support_queue(*, now: datetime, plan=None, kind=None, breached=None) -> list[QueueRow]:
    """Tickets without a first response, nearest deadline first, tickets without a deadline
    last (oldest first), each with its working minutes left at `now` on its contract's plan
    (`sla.working_minutes_between`). Filters: `plan` (a `SupportPlan` or its code; the plan on
    the day the ticket was received is not consulted: the contract's plan now), `kind`
    (`TicketKind` value), `breached` (True/False). SPEC §8."""
    tickets = (Ticket.objects.filter(first_response_at__isnull=True)
               .select_related("contract__plan", "contract__account", "reporter__user"))
    if plan is not None:
        code = plan.code if isinstance(plan, SupportPlan) else plan
        tickets = tickets.filter(contract__plan__code=code)
    if kind:
        tickets = tickets.filter(kind=kind)
    if breached is not None:
        tickets = tickets.filter(breached=breached)
    tickets = tickets.order_by("deadline", "received_at", "id")  # NULLs last in PostgreSQL
    rows = []
    plans: dict[tuple[int, date], SupportPlan] = {}  # one history read per contract and day
    for ticket in tickets:
        left = None
        if ticket.deadline is not None:
            key = (ticket.contract_id, ticket.received_at.astimezone(sla.WARSAW).date())
            if key not in plans:
                plans[key] = plan_on(ticket.contract, key[1])
            ticket_plan = plans[key]
            left = sla.working_minutes_between(now, ticket.deadline, ticket_plan, CALENDAR,
                                               critical=ticket.critical)
            if ticket.deadline < now and left == 0:
                left = -1  # past the deadline outside hours: overdue all the same
        rows.append(QueueRow(ticket, left))
    return rows


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=sla.WARSAW)
    end = datetime.combine(end_of_month(first) + timedelta(days=1), datetime.min.time(),
                           tzinfo=sla.WARSAW)
    return start, end


def sla_report(contract, month: date) -> dict:
    """The contract's SLA report for `month`: tickets received in it (Europe/Warsaw), how many
    had a deadline and met it (first response by the deadline), breached it (responded late, or
    marked by the sweep), had no deadline, are still open; the time used (`minutes_used`) and
    the settlement of the month if there is one. Shape: `{"month", "contract", "plan",
    "tickets", "met", "breached", "no_deadline", "open", "minutes_used": {...}, "settlement",
    "rows": [Ticket, ...]}`. SPEC §8."""
    first = month.replace(day=1)
    start, end = _month_bounds(first)
    rows = list(Ticket.objects.filter(contract=contract, received_at__gte=start,
                                      received_at__lt=end)
                .select_related("reporter__user").order_by("received_at", "id"))
    met = sum(1 for t in rows if t.deadline is not None and t.first_response_at is not None
              and t.first_response_at <= t.deadline)
    return {
        "month": first,
        "contract": contract,
        "plan": plan_on(contract, first),
        "tickets": len(rows),
        "met": met,
        "breached": sum(1 for t in rows if t.breached),
        "no_deadline": sum(1 for t in rows if t.deadline is None),
        "open": sum(1 for t in rows if t.first_response_at is None),
        "minutes_used": minutes_used(contract, first),
        "settlement": SupportSettlement.objects.filter(contract=contract, month=first)
        .select_related("document").first(),
        "rows": rows,
    }


def contract_tickets(contract):
    """The contract's tickets, newest first."""
    return Ticket.objects.filter(contract=contract).select_related("reporter__user")


def member_tickets(contract, member):
    """The tickets `member` filed on the contract, newest first."""
    return contract_tickets(contract).filter(reporter=member)


def is_contact(member, as_of: date) -> bool:
    """Whether `member` is the contact person of their account's current contract."""
    if member is None:
        return False
    contract = contract_current(member.account, as_of)
    return contract is not None and contract.contact_id == member.pk


def ticket_time_entries(ticket):
    """The time entries booked on a ticket, in order of entry."""
    return TimeEntry.objects.filter(ticket=ticket).order_by("date", "id")


def contracts_for_month(month: date):
    """Contracts that run on at least one day of `month` (its 1st), for settlement."""
    first = month.replace(day=1)
    last = end_of_month(first)
    return (SupportContract.objects.filter(start__lte=last)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
            .exclude(ends_on__lt=F("start"))
            .select_related("account").order_by("pk"))


# --- for the pages (issue 14, helper E) ----------------------------------------------------------


def running_contracts():
    """Running contracts (active, or cancelled and not yet ended) of every account, by account
    name: support staff's queue lists them and files tickets against them."""
    return (SupportContract.objects.filter(status__in=RUNNING)
            .select_related("account", "plan", "contact__user").order_by("account__name", "pk"))


def account_contracts(account):
    """All the account's contracts, newest first (its Support plan page links their reports)."""
    return SupportContract.objects.filter(account=account).select_related("plan").order_by(
        "-start", "-pk")
