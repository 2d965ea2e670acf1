"""What the account admin's and the support staff's pages share (issue 14): the confirmation
step, the SLA report, a ticket's details, and who counts as support staff."""

from dataclasses import dataclass
from datetime import date
from functools import wraps

from dateutil.relativedelta import relativedelta
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from billing_site.dates import today

from . import selectors, sla
from .defaults import SUPPORT_GROUP
from .forms import MonthForm
from .selectors import CALENDAR


def is_support(user) -> bool:
    """Support staff: active staff logins of the group "support", and superusers (as
    `billing_site.views.STAFF_AREAS` names the queue)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=SUPPORT_GROUP).exists()


def support_required(view):
    """Login required; then support staff or a superuser, 403 for anyone else (members
    included)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_support(request.user):
            raise PermissionDenied(gettext_lazy("Only support staff can use the ticket queue."))
        return view(request, *args, **kwargs)

    return wrapper


def confirm_page(request, *, title, consequences, confirm_label, cancel_url, danger=True,
                 warning=None):
    """The confirmation step (`seats.confirm`'s page and rule): nothing has changed; the button
    re-posts the same form with `confirm=1` to the same address. The way back is "Go back", not
    "Cancel": beside "Cancel the contract" a "Cancel" button reads as doing it (issue 14)."""
    hidden = [(name, value) for name in request.POST for value in request.POST.getlist(name)
              if name not in ("csrfmiddlewaretoken", "confirm")]
    return render(request, "seats/confirm.html", {
        "title": title, "consequences": consequences, "warning": warning,
        "confirm_label": confirm_label, "danger": danger, "hidden": hidden,
        "action": request.path, "cancel_url": cancel_url, "nav_section": "support",
        "back_label": gettext_lazy("Go back"),
    })


def render_report(request, contract, *, staff: bool):
    """The contract's monthly SLA report (`?month=YYYY-MM`, default this month); a month that is
    no month is a 400 page saying so."""
    form = MonthForm(request.GET)
    if not form.is_valid():
        return render(request, "support_plans/report.html", {
            "contract": contract, "form": form, "staff": staff, "report": None,
            "nav_section": "" if staff else "support"}, status=400)
    month = form.cleaned_data["month"] or today().replace(day=1)
    report = selectors.sla_report(contract, month)
    used = report["minutes_used"]
    return render(request, "support_plans/report.html", {
        "contract": contract, "form": form, "staff": staff, "report": report,
        "used": used, "month_value": f"{month:%Y-%m}",
        "previous": f"{month - relativedelta(months=1):%Y-%m}",
        "next": f"{month + relativedelta(months=1):%Y-%m}",
        "nav_section": "" if staff else "support",
    })


@dataclass
class TicketState:
    key: str  # open / overdue / responded / breached / no_deadline
    minutes_left: int | None  # working minutes left (negative: overdue) for an open ticket


def ticket_state(ticket, now) -> TicketState:
    if ticket.first_response_at is not None:
        return TicketState("breached" if ticket.breached else "responded", None)
    if ticket.deadline is None:
        return TicketState("no_deadline", None)
    plan = selectors.plan_on(ticket.contract, timezone.localtime(ticket.received_at,
                                                                 sla.WARSAW).date())
    left = sla.working_minutes_between(now, ticket.deadline, plan, CALENDAR,
                                       critical=ticket.critical)
    if ticket.deadline < now:
        return TicketState("overdue", min(left, -1))  # past it outside hours: still overdue
    return TicketState("open", left)


def ticket_context(ticket, now=None) -> dict:
    """A ticket with its plan (on the day it was received), state, time entries and their
    totals."""
    now = now or timezone.now()
    entries = list(selectors.ticket_time_entries(ticket))
    received_day: date = timezone.localtime(ticket.received_at, sla.WARSAW).date()
    return {
        "ticket": ticket,
        "plan": selectors.plan_on(ticket.contract, received_day),
        "state": ticket_state(ticket, now),
        "entries": entries,
        "totals": {
            "minutes": sum(e.minutes for e in entries),
            "billable": sum(e.billable_minutes for e in entries),
            "included": sum(e.included_minutes for e in entries),
            "over": sum(e.billed_minutes_over_bundle for e in entries),
        },
        "report_month": f"{received_day:%Y-%m}",
    }
