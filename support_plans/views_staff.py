"""Support staff's pages (issue 14, SPEC §8): the ticket queue (nearest deadline first, working
time left, overdue highlighted, tickets without a deadline marked; filters by plan, kind and
breached, validated: a bad value is a 400 page that says so), filing a ticket, a ticket's page
(first response, time entries) and a contract's monthly SLA report.

For the group "support" and superusers (`views_common.support_required`); the vendor's staff
work on every account, so ids are looked up among all of them (an unknown one is a 404)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing_site.actions import post_only
from billing_site.errors import DomainError
from seats.forms import attach_domain_error

from . import selectors, services
from .forms import QueueFilterForm, RespondForm, TicketForm, TimeEntryForm
from .models import SupportContract, Ticket
from .presenting import duration, ticket_filed
from .views_common import render_report, support_required, ticket_context

TICKET_FIELDS = {"received_at": "received_at", "reporter": "reporter", "contract": "contract",
                 "channel": "channel", "kind": "kind", "subject": "subject"}


def _render_queue(request, *, ticket_form=None, status=200):
    now = timezone.now()
    filters = QueueFilterForm(request.GET, auto_id="id_filter_%s")  # ids unique on the page
    rows = None
    if filters.is_valid():
        rows = selectors.support_queue(now=now, **filters.filters())
    else:
        status = 400
    contracts = selectors.running_contracts()
    return render(request, "support_plans/queue.html", {
        "filters": filters, "rows": rows, "now": now,
        "ticket_form": ticket_form or TicketForm(),
        "contracts": contracts, "filtered": any(request.GET.get(k) for k in filters.fields),
    }, status=status)


def ticket_exists(request, ticket_id, **_kwargs) -> bool:
    """For `post_only`: `ticket_id` names a ticket (staff see every account's)."""
    return Ticket.objects.filter(pk=ticket_id).exists()


@support_required
def queue(request):
    return _render_queue(request)


@support_required
@post_only("support_queue", anchor="file")
def ticket_open(request):
    form = TicketForm(request.POST)
    if not form.is_valid():
        return _render_queue(request, ticket_form=form, status=400)
    data = form.cleaned_data
    now = timezone.now()
    try:
        ticket = services.ticket_open(
            contract=data["contract"], received_at=data["received_at"] or now,
            channel=data["channel"], kind=data["kind"], reporter=data["reporter_member"],
            subject=data["subject"], critical=data["critical"], actor=request.user, now=now)
    except DomainError as exc:
        if not attach_domain_error(form, exc, TICKET_FIELDS):
            form.add_error(None, str(exc.message))
        return _render_queue(request, ticket_form=form, status=exc.status)
    messages.success(request, ticket_filed(ticket))
    return redirect("support_ticket", ticket_id=ticket.pk)


def _ticket(ticket_id):
    return get_object_or_404(
        Ticket.objects.select_related("contract__plan", "contract__account",
                                      "contract__contact__user", "reporter__user"),
        pk=ticket_id)


def _render_ticket(request, ticket, *, respond_form=None, entry_form=None, status=200):
    local_today = timezone.localdate()
    return render(request, "support_plans/ticket.html", {
        **ticket_context(ticket),
        "respond_form": respond_form or RespondForm(),
        "entry_form": (entry_form or TimeEntryForm(initial={"date": local_today.isoformat()})
                       ).offer_only(selectors.plan_on(ticket.contract, local_today)),
        "staff": True,
    }, status=status)


@support_required
def ticket(request, ticket_id):
    return _render_ticket(request, _ticket(ticket_id))


@support_required
@post_only("support_ticket", anchor="respond", url_kwargs=("ticket_id",), exists=ticket_exists)
def ticket_respond(request, ticket_id):
    ticket = _ticket(ticket_id)
    form = RespondForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, respond_form=form, status=400)
    now = timezone.now()
    try:
        ticket = services.ticket_respond(ticket=ticket,
                                         responded_at=form.cleaned_data["responded_at"] or now,
                                         actor=request.user, now=now)
    except DomainError as exc:
        if not attach_domain_error(form, exc):
            messages.error(request, exc.message)  # e.g. answered meanwhile: no form is shown
        return _render_ticket(request, _ticket(ticket_id), respond_form=form, status=exc.status)
    if ticket.breached:
        messages.warning(request, _("The first response is recorded, after the deadline: the "
                                    "ticket is breached."))
    else:
        messages.success(request, _("The first response is recorded."))
    return redirect(reverse("support_ticket", kwargs={"ticket_id": ticket.pk}))


@support_required
@post_only("support_ticket", anchor="time", url_kwargs=("ticket_id",),
           exists=ticket_exists)
def time_entry_add(request, ticket_id):
    ticket = _ticket(ticket_id)
    form = TimeEntryForm(request.POST)
    if not form.is_valid():
        return _render_ticket(request, ticket, entry_form=form, status=400)
    data = form.cleaned_data
    try:
        entry = services.time_entry_add(contract=ticket.contract, ticket=ticket,
                                        channel=data["channel"], minutes=data["minutes"],
                                        date=data["date"], actor=request.user,
                                        as_of=timezone.localdate())
    except DomainError as exc:
        if not attach_domain_error(form, exc):
            form.add_error(None, str(exc.message))
        return _render_ticket(request, ticket, entry_form=form, status=exc.status)
    messages.success(request, _(
        "%(minutes)s of %(channel)s added: %(billable)s billable, %(over)s of it over the "
        "bundle.") % {"minutes": duration(entry.minutes), "channel": entry.get_channel_display(),
                      "billable": duration(entry.billable_minutes),
                      "over": duration(entry.billed_minutes_over_bundle)})
    return redirect(reverse("support_ticket", kwargs={"ticket_id": ticket.pk}) + "#time")


@support_required
def report(request, contract_id):
    contract = get_object_or_404(SupportContract.objects.select_related("plan", "account"),
                                 pk=contract_id)
    return render_report(request, contract, staff=True)
