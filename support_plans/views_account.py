"""The account admin's "Support plan" page (issue 14, SPEC §8): the current contract with its
plan's terms, the time used this month and the minimum term; ordering a plan, changing it and
cancelling, each through a confirmation page that states the effective dates before anything
changes (the `confirm=1` re-post of `seats.confirm`); the monthly SLA report and the tickets of
the account's own contracts (another account's ids are a 404).

Ordering, changing, cancelling and the contact person: admins only
(`seats.views.account_admin_required`: managers and users get 403). The contract's contact
person, whatever their role, sees the page too — read-only for a manager or user — with the
form to file a ticket (channel "portal") and the tickets they filed (`contact_or_admin`).
Every rule is in `support_plans.services`; a refusal is shown on the form field it names."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing_site import formatting
from billing_site.actions import post_only
from billing_site.dates import end_of_month, today
from billing_site.errors import DomainError
from seats.confirm import confirmed
from seats.forms import attach_domain_error
from seats.views import account_admin_required

from . import presenting, selectors, services
from .forms import ChangePlanForm, ContactForm, CustomerTicketForm, OrderForm
from .models import ContractStatus, SupportContract, Ticket, TicketChannel
from .views_common import confirm_page, render_report, ticket_context


def _page_url(anchor=""):
    return reverse("account_support") + (f"#{anchor}" if anchor else "")


def _change_plans(contract):
    """The plans the contract may change to: the orderable ones but the one in force, unless a
    change is scheduled (choosing the current plan again then withdraws it)."""
    plans = selectors.orderable_plans()
    if contract.next_plan_id is None:
        plans = plans.exclude(pk=contract.plan_id)
    return plans


def contact_or_admin(view):
    """Login required; the view receives the member's account and the member. An account admin,
    or the contact person of the account's current contract (any role); 403 for other members,
    the no-membership page (404) for a login without a membership."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        member = request.member
        if member is None:
            return render(request, "seats/no_membership.html", status=404)
        if not (member.is_admin or selectors.is_contact(member, today())):
            raise PermissionDenied
        return view(request, member.account, member, *args, **kwargs)

    return wrapper


def _render(request, account, *, order_form=None, change_form=None, contact_form=None,
            ticket_form=None, status=200):
    as_of = today()
    member = request.member
    contract = selectors.contract_current(account, as_of)
    if not member.is_admin:  # the contact person: read-only, with the ticket form
        return _render_contact(request, contract, member, ticket_form=ticket_form,
                               status=status)
    context = {"contract": contract, "nav_section": "support", "as_of": as_of,
               "is_admin": True,
               "earlier": [c for c in selectors.account_contracts(account)
                           if contract is None or c.pk != contract.pk]}
    if contract is None:
        plans = selectors.orderable_plans()
        context["order_form"] = order_form or OrderForm(
            account=account, plans=plans, initial={"start": as_of.isoformat()})
        context["offers"] = [(plan, presenting.plan_terms(plan)) for plan in plans]
    else:
        month = as_of.replace(day=1)
        plan = selectors.plan_on(contract, as_of)
        used = selectors.minutes_used(contract, month)
        context.update(
            plan=plan, terms=presenting.plan_terms(plan), used=used, month=month,
            limit=plan.monthly_limit_minutes,
            active=contract.status == ContractStatus.ACTIVE,
            started=contract.start <= as_of,
            tickets=list(selectors.contract_tickets(contract)[:10]),
        )
        if contract.status == ContractStatus.ACTIVE:
            context["change_form"] = change_form or ChangePlanForm(
                plans=_change_plans(contract))
        context["contact_form"] = contact_form or ContactForm(
            account=account, initial={"contact": contract.contact_id})
        if contract.contact_id == member.pk:
            context.update(_ticket_context(contract, member, plan, ticket_form))
    return render(request, "support_plans/account.html", context, status=status)


def _ticket_context(contract, member, plan, ticket_form) -> dict:
    """The contact person's part of the page: the ticket form (once the contract has started)
    and the tickets they filed."""
    as_of = today()
    return {"can_file": contract.start <= as_of,
            "ticket_form": ticket_form or CustomerTicketForm(plan=plan),
            "my_tickets": list(selectors.member_tickets(contract, member)[:20])}


def _render_contact(request, contract, member, *, ticket_form, status):
    as_of = today()
    month = as_of.replace(day=1)
    plan = selectors.plan_on(contract, as_of)
    context = {
        "contract": contract, "nav_section": "support", "as_of": as_of, "is_admin": False,
        "plan": plan, "terms": presenting.plan_terms(plan), "month": month,
        "used": selectors.minutes_used(contract, month), "limit": plan.monthly_limit_minutes,
        "active": False, "started": contract.start <= as_of,
        **_ticket_context(contract, member, plan, ticket_form),
    }
    return render(request, "support_plans/account.html", context, status=status)


@contact_or_admin
def support_page(request, account, member):
    return _render(request, account)


@contact_or_admin
@post_only("account_support", anchor="file-ticket")
def file_ticket(request, account, member):
    """The contact person files a ticket through the portal, received now. Anyone else (an
    admin who is not the contact) is told who may."""
    now = timezone.now()
    contract = selectors.contract_current(account, today())
    if contract is None or contract.contact_id != member.pk:
        messages.error(request, _("Only the contract's contact person may file tickets."))
        return redirect(_page_url())
    form = CustomerTicketForm(request.POST, plan=selectors.plan_on(contract, today()))
    if not form.is_valid():
        return _render(request, account, ticket_form=form, status=400)
    data = form.cleaned_data
    try:
        ticket = services.ticket_open(
            contract=contract, received_at=now, channel=TicketChannel.PORTAL,
            kind=data["kind"], reporter=member, subject=data["subject"],
            critical=data.get("critical", False), actor=request.user, now=now)
    except DomainError as exc:
        return _refused(request, account, exc, form, key="ticket_form")
    messages.success(request, presenting.ticket_filed(ticket))
    return redirect(reverse("account_support_ticket", args=[ticket.pk]))


def _refused(request, account, exc, form, *, key):
    if not attach_domain_error(form, exc):
        messages.error(request, exc.message)
    return _render(request, account, status=exc.status, **{key: form})


@account_admin_required
@post_only("account_support", anchor="order")
def order(request, account):
    as_of = today()
    if selectors.contract_current(account, as_of) is not None:
        messages.error(request, _("This account already has a support contract; change its "
                                  "plan instead."))
        return redirect(_page_url("contract"))
    form = OrderForm(request.POST, account=account, plans=selectors.orderable_plans())
    if not form.is_valid():
        return _render(request, account, order_form=form, status=400)
    plan, start, contact = (form.cleaned_data[k] for k in ("plan", "start", "contact"))
    if start < as_of:  # said before the confirmation, not after it (the service refuses too)
        form.add_error("start", _("The contract cannot start in the past."))
        return _render(request, account, order_form=form, status=400)
    if not confirmed(request):
        minimum_end = services.minimum_end_for(start, plan.minimum_term_months)
        if minimum_end:
            term = _("Its minimum term runs until %(day)s: a cancellation takes effect at the "
                     "end of that month at the earliest.") % {"day": formatting.day(minimum_end)}
        else:
            term = _("It has no minimum term: a cancellation takes effect at the end of the "
                     "month.")
        lines = [
            _("The %(plan)s plan starts on %(start)s, for %(fee)s net a month.")
            % {"plan": plan, "start": formatting.day(start),
               "fee": formatting.money(plan.monthly_fee, presenting.PLN)},
            term,
            _("Contact person, the only one who may file tickets: %(email)s.")
            % {"email": contact.email},
        ]
        return confirm_page(request, title=_("Order the %(plan)s plan?") % {"plan": plan},
                            consequences=lines, confirm_label=_("Order the plan"),
                            cancel_url=_page_url("order"), danger=False)
    try:
        contract = services.contract_order(account=account, plan=plan, start=start,
                                           contact=contact, actor=request.user, as_of=as_of)
    except DomainError as exc:
        return _refused(request, account, exc, form, key="order_form")
    text = _("The %(plan)s plan is ordered from %(start)s.") % {
        "plan": contract.plan, "start": formatting.day(contract.start)}
    if contract.minimum_end:
        text += " " + _("Its minimum term ends on %(day)s.") % {
            "day": formatting.day(contract.minimum_end)}
    messages.success(request, text)
    return redirect(_page_url("contract"))


@account_admin_required
@post_only("account_support", anchor="change")
def change_plan(request, account):
    as_of = today()
    contract = selectors.contract_current(account, as_of)
    if contract is None:
        messages.error(request, _("This account has no support contract to change; order a "
                                  "plan first."))
        return redirect(_page_url("order"))
    if contract.status != ContractStatus.ACTIVE:
        messages.error(request, _("This contract is cancelled or ended; its plan cannot "
                                  "change."))
        return redirect(_page_url("contract"))
    form = ChangePlanForm(request.POST, plans=_change_plans(contract))
    if not form.is_valid():
        return _render(request, account, change_form=form, status=400)
    plan = form.cleaned_data["plan"]
    if not confirmed(request):
        effective = services.contract_change_effective(contract=contract, as_of=as_of)
        if plan.pk == contract.plan_id:  # withdrawing the scheduled change
            lines = [_("The change to %(plan)s scheduled from %(day)s is withdrawn; the contract "
                       "stays on %(current)s.")
                     % {"plan": contract.next_plan, "day": formatting.day(contract.next_plan_from),
                        "current": contract.plan}]
            title = _("Keep the %(plan)s plan?") % {"plan": plan}
        else:
            lines = [_("The contract has the %(plan)s plan from %(day)s, for %(fee)s net a "
                       "month.") % {"plan": plan, "day": formatting.day(effective),
                                    "fee": formatting.money(plan.monthly_fee, presenting.PLN)}]
            if effective > as_of:
                lines.append(_("Until then it stays on %(current)s.")
                             % {"current": contract.plan})
            new_end = services.minimum_end_for(effective, plan.minimum_term_months)
            ends = [end for end in (contract.minimum_end, new_end) if end is not None]
            if ends:
                lines.append(_("The minimum term then ends on %(day)s.")
                             % {"day": formatting.day(max(ends))})
            title = _("Change to the %(plan)s plan?") % {"plan": plan}
        return confirm_page(request, title=title, consequences=lines,
                            confirm_label=_("Change the plan"), cancel_url=_page_url("change"),
                            danger=False)
    try:
        contract = services.contract_change_plan(contract=contract, plan=plan,
                                                 actor=request.user, as_of=as_of)
    except DomainError as exc:
        return _refused(request, account, exc, form, key="change_form")
    if contract.next_plan_id:
        text = _("The %(plan)s plan applies from %(day)s.") % {
            "plan": contract.next_plan, "day": formatting.day(contract.next_plan_from)}
    else:
        text = _("The contract has the %(plan)s plan.") % {"plan": contract.plan}
    messages.success(request, text)
    return redirect(_page_url("contract"))


def _fee_until_the_end(contract, ends_on) -> str:
    """The fee a month from now until `ends_on`, with a scheduled plan change that takes effect
    before the end (the cancellation withdraws only a change after it)."""
    fee = formatting.money(contract.plan.monthly_fee, presenting.PLN)
    change = contract.next_plan if (contract.next_plan_from
                                    and contract.next_plan_from <= ends_on) else None
    if change is None or change.monthly_fee == contract.plan.monthly_fee:
        return _("Until then tickets and time are covered, and the fee stays %(fee)s net a "
                 "month.") % {"fee": fee}
    return _("Until then tickets and time are covered; the fee is %(fee)s net a month, and "
             "%(new_fee)s net a month on the %(plan)s plan from %(day)s.") % {
        "fee": fee, "new_fee": formatting.money(change.monthly_fee, presenting.PLN),
        "plan": change, "day": formatting.day(contract.next_plan_from)}


@account_admin_required
@post_only("account_support", anchor="cancel")
def cancel(request, account):
    as_of = today()
    contract = selectors.contract_current(account, as_of)
    if contract is None or contract.status != ContractStatus.ACTIVE:
        messages.error(request, _("There is no running support contract to cancel."))
        return redirect(_page_url())
    if not confirmed(request):
        ends_on = services.contract_cancel_effective(contract=contract, as_of=as_of)
        if ends_on < contract.start:
            lines = [_("The contract has not started yet: it ends at once.")]
        else:
            lines = [_("The contract runs until %(day)s, and ends then.")
                     % {"day": formatting.day(ends_on)}]
            if contract.minimum_end and ends_on > end_of_month(as_of):
                lines.append(_("Its minimum term runs until %(day)s, so it ends with that "
                               "month; it cannot end earlier.")
                             % {"day": formatting.day(contract.minimum_end)})
            lines.append(_fee_until_the_end(contract, ends_on))
        if contract.next_plan_from and contract.next_plan_from > ends_on:
            lines.append(_("The change to %(plan)s scheduled from %(day)s is withdrawn.")
                         % {"plan": contract.next_plan,
                            "day": formatting.day(contract.next_plan_from)})
        lines.append(_("You can withdraw the cancellation until then."))
        return confirm_page(request, title=_("Cancel the support contract?"), consequences=lines,
                            confirm_label=_("Cancel the contract"),
                            cancel_url=_page_url("cancel"))
    try:
        contract = services.contract_cancel(contract=contract, actor=request.user, as_of=as_of)
    except DomainError as exc:
        messages.error(request, exc.message)
        return _render(request, account, status=exc.status)
    if contract.status == ContractStatus.ENDED:
        messages.success(request, _("The support contract is cancelled."))
    else:
        messages.success(request, _("The support contract is cancelled; it runs until "
                                    "%(day)s.") % {"day": formatting.day(contract.ends_on)})
    return redirect(_page_url("contract"))


@account_admin_required
@post_only("account_support", anchor="contract")
def contact(request, account):
    """Name another contact person (no confirmation: nothing is lost, it can be changed back)."""
    contract = selectors.contract_current(account, today())
    if contract is None:
        messages.error(request, _("This account has no support contract; order a plan first."))
        return redirect(_page_url("order"))
    form = ContactForm(request.POST, account=account)
    if not form.is_valid():
        return _render(request, account, contact_form=form, status=400)
    try:
        contract = services.contract_contact_change(
            contract=contract, contact=form.cleaned_data["contact"], actor=request.user)
    except DomainError as exc:
        return _refused(request, account, exc, form, key="contact_form")
    messages.success(request, _("%(email)s is now the contact person: the only one who may "
                                "file tickets.") % {"email": contract.contact.email})
    return redirect(_page_url("contract"))


@account_admin_required
def report(request, account, contract_id):
    contract = get_object_or_404(SupportContract.objects.select_related("plan", "account"),
                                 pk=contract_id, account=account)
    return render_report(request, contract, staff=False)


@contact_or_admin
def ticket(request, account, member, ticket_id):
    """A ticket of the account: any for an admin, the ones they filed for the contact person."""
    tickets = Ticket.objects.select_related("contract__plan", "contract__account",
                                            "reporter__user")
    if not member.is_admin:
        tickets = tickets.filter(reporter=member)
    ticket = get_object_or_404(tickets, pk=ticket_id, contract__account=account)
    return render(request, "support_plans/account_ticket.html",
                  {**ticket_context(ticket), "nav_section": "support",
                   "is_admin": member.is_admin})


@account_admin_required
@post_only("account_support", anchor="withdraw")
def withdraw(request, account):
    """Withdraw the cancellation (notice given) while the contract runs: a confirmation, then
    `services.contract_cancel_withdraw`."""
    as_of = today()
    contract = selectors.contract_current(account, as_of)
    if contract is None or contract.status != ContractStatus.CANCELLED:
        messages.error(request, _("There is no cancellation to withdraw."))
        return redirect(_page_url())
    if not confirmed(request):
        lines = [_("The contract continues after %(day)s as if it had not been cancelled, on "
                   "the %(plan)s plan.") % {"day": formatting.day(contract.ends_on),
                                            "plan": contract.plan},
                 _("You can cancel it again later.")]
        return confirm_page(request, title=_("Withdraw the cancellation?"), consequences=lines,
                            confirm_label=_("Withdraw the cancellation"),
                            cancel_url=_page_url("contract"), danger=False)
    try:
        services.contract_cancel_withdraw(contract=contract, actor=request.user, as_of=as_of)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_page_url())
    messages.success(request, _("The cancellation is withdrawn: the contract continues."))
    return redirect(_page_url("contract"))
