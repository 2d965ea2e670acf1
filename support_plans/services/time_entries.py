"""Time entries (SPEC §8): billable minutes and the included time, fixed when entered.

- billable minutes: e-mail 0 (not billed, no included time used); phone: minutes + 5 rounded up
  to a multiple of 15; remote help and development: minutes + 5 rounded up to 30;
- the month's included time (`plan.hours_included`, the plan of the entry's day; not prorated
  for a partial month) is used first, in order of entry: each entry takes what is left of it
  when it is added, under the contract's row lock (concurrent entries are serialised); the rest
  is `billed_minutes_over_bundle`, invoiced by the monthly settlement at the plan's hourly rate;
- a month that is already settled takes no more entries (its invoice is issued).
"""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from seats.audit import snapshot

from ..models import SupportSettlement, Ticket, TimeChannel, TimeEntry
from ..selectors import minutes_used, plan_on
from .common import audit, lock_contract, user_or_none
from .tickets import check_contract_covers

WRITE_UP_MINUTES = 5  # SPEC §8: about 5 minutes of write-up added before rounding
ROUNDING = {TimeChannel.PHONE: 15, TimeChannel.REMOTE: 30, TimeChannel.DEVELOPMENT: 30}
MAX_MINUTES = 1440  # one entry is at most a day's time
ENTRY_FIELDS = ["ticket", "channel", "minutes", "date", "billable_minutes", "included_minutes",
                "billed_minutes_over_bundle"]


def billable_minutes(channel: str, minutes: int) -> int:
    """Billable minutes of `minutes` spent on `channel` (pure): 0 for e-mail, else
    `minutes + 5` rounded up to 15 (phone) or 30 (remote, development). SPEC §8."""
    unit = ROUNDING.get(channel)
    if unit is None:
        return 0
    return -(-(minutes + WRITE_UP_MINUTES) // unit) * unit


def split_included(billable: int, included_left: int) -> tuple[int, int]:
    """(minutes from the included time, minutes over the bundle) of `billable` minutes when
    `included_left` minutes of the month's included time are left (pure)."""
    included = min(billable, max(included_left, 0))
    return included, billable - included


@transaction.atomic
def time_entry_add(*, contract, ticket, channel: str, minutes: int, date: dt.date, actor,
                   as_of: dt.date | None = None) -> TimeEntry:
    """Add `minutes` (1–1440) of `channel` time on `date` (business date) to `contract`,
    optionally on `ticket` (one of the contract's). Returns the `TimeEntry` with
    `billable_minutes`, `included_minutes`, `billed_minutes_over_bundle`. SPEC §8.

    Refused with `DomainError` (400), nothing written: unknown channel; minutes not a whole
    number in 1–1440; a ticket of another contract; a day the contract does not cover
    (`contract_not_running`: before its start, after a cancelled contract's end); development
    on a plan without development work (`development_not_in_plan`); phone time on a plan without
    phone support (`phone_not_in_plan`); a month already settled (`month_settled`, 409); a date
    after `as_of` (the business date today, when given: time is entered once spent,
    `date_in_future`). Locks
    the contract row; writes a `time_entry.add` audit row."""
    if channel not in TimeChannel.values:
        raise DomainError(_("Choose the channel: e-mail, phone, remote help or development."),
                          field="channel", code="channel_unknown")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not (
            1 <= minutes <= MAX_MINUTES):
        raise DomainError(_("Enter whole minutes from 1 to %(max)d.") % {"max": MAX_MINUTES},
                          field="minutes", code="minutes_invalid")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise DomainError(_("Enter the date."), field="date", code="date_missing")
    if as_of is not None and date > as_of:
        raise DomainError(_("Time cannot be entered for a day in the future."), field="date",
                          code="date_in_future")
    contract = lock_contract(contract)
    if ticket is not None and (not isinstance(ticket, Ticket)
                               or ticket.contract_id != contract.pk):
        raise DomainError(_("The ticket belongs to another contract."), field="ticket",
                          code="ticket_other_contract")
    check_contract_covers(contract, date, field="date")
    plan = plan_on(contract, date)
    if channel == TimeChannel.DEVELOPMENT and not plan.development:
        raise DomainError(_("The %(plan)s plan does not include development work.")
                          % {"plan": plan}, field="channel", code="development_not_in_plan")
    if channel == TimeChannel.PHONE and not plan.phone:
        raise DomainError(_("The %(plan)s plan has no phone support.") % {"plan": plan},
                          field="channel", code="phone_not_in_plan")
    month = date.replace(day=1)
    if SupportSettlement.objects.filter(contract=contract, month=month).exists():
        raise DomainError(_("This month is already settled; no more time can be entered for "
                            "it."), field="date", code="month_settled", status=409)
    billable = billable_minutes(channel, minutes)
    used = minutes_used(contract, month)
    included, over = split_included(billable, plan.hours_included - used["included_used"])
    entry = TimeEntry.objects.create(
        contract=contract, ticket=ticket, channel=channel, minutes=minutes, date=date,
        billable_minutes=billable, included_minutes=included, billed_minutes_over_bundle=over,
        created_by=user_or_none(actor))
    audit(contract=contract, actor=actor, action="time_entry.add", target=entry,
          after=snapshot(entry, ENTRY_FIELDS))
    return entry
