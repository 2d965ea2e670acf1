"""Browser pages: login, home and "Account settings → Users".

Views only translate HTTP into service calls: they fetch rows scoped to the requester's account
(so another account's ids give 404), call `seats.services` with `actor=request.user` and
`as_of=today()`, and show the outcome as a message. A `DomainError` becomes a field error when it
names a field of the submitted form, otherwise an error message; it is never a 500.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from billing_site import formatting
from billing_site.actions import post_only
from billing_site.dates import today
from billing_site.errors import DomainError
from catalogue.models import BillingPolicy

from . import services
from .banners import banner_for
from .confirm import (
    confirm_page,
    confirmed,
    member_release_consequences,
    release_message,
    seat_removal_consequences,
)
from .forms import (
    MemberAuthenticationForm,
    MemberInviteForm,
    MemberReleaseForm,
    MemberRoleForm,
    SeatAssignForm,
    SeatsAddForm,
    attach_domain_error,
)
from .invitations import invitation_sent_message
from .middleware import pop_refusal
from .models import Member, MemberState, Seat
from .selectors import (
    SEAT_FILTERS,
    account_invitations_open,
    account_seats_filtered,
    contract_seat_state,
    is_last_active_admin,
    users_page_members,
)

SEATS_PER_PAGE = 50

# --- authentication -----------------------------------------------------------------------------


class MemberLoginView(auth_views.LoginView):
    authentication_form = MemberAuthenticationForm

    def dispatch(self, request, *args, **kwargs):
        # the reason MemberAccessMiddleware gave when it signed this person out, shown once
        pop_refusal(request)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(trial_days=BillingPolicy.current().trial_days,
                                           **kwargs)
        form = context.get("form")
        # the right password of a sign-up not confirmed yet (issues 12/13): offer to send the link
        # again to the address typed (only someone who knows the password sees this)
        if form is not None and form.is_bound and any(
                error.code == "unconfirmed" for error in form.non_field_errors().as_data()):
            context["unconfirmed_email"] = form.data.get("username", "")
        return context


@login_required
@post_only("home")  # its form is on every page: a GET (a link followed or typed) goes home
def banner_dismiss(request):
    """Hide the (dismissible, pre-expiry) banner whose key is posted until the dates change; the
    banner of an expired seat is never dismissible, so its key is ignored here (SPEC §6)."""
    key = request.POST.get("key", "")[:100]
    banner = banner_for(request.access, today()) if request.access is not None else None
    if banner is not None and banner.dismissible and banner.key == key:
        request.session["banner_dismissed"] = key
    else:  # an old page's key, or a banner that must stay (payment is overdue)
        messages.info(request, _("This notice cannot be hidden: it is still current, or it "
                                 "changed since the page was loaded."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("home")
    return redirect(target)


@login_required
def home(request):
    member = request.member
    if member is not None and member.is_admin:
        return redirect("account_users")
    seat = Seat.objects.filter(member=member).first() if member is not None else None
    return render(request, "home.html", {"seat": seat})


# --- Account settings → Users -------------------------------------------------------------------


def member_exists(request, account, member_id, **_kwargs) -> bool:
    """For `post_only`: `member_id` is a member of the admin's `account`."""
    return Member.objects.filter(pk=member_id, account=account).exists()


def seat_exists(request, account, seat_id, **_kwargs) -> bool:
    """For `post_only`: `seat_id` is a seat of the admin's `account`."""
    return Seat.objects.filter(pk=seat_id, account=account).exists()


def account_admin_required(view):
    """Login required; a member who is not an admin gets 403; a login without a membership (staff)
    gets a 404 page that says so. The view receives the admin's account as second argument."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        member = request.member
        if member is None:
            return render(request, "seats/no_membership.html", status=404)
        if not member.is_admin:
            raise PermissionDenied
        return view(request, member.account, *args, **kwargs)

    return wrapper


def _users_url(anchor="", request=None):
    """The Users page (at `anchor`); given the request of a seat action, with the seat filter
    and page the admin was looking at (posted back as `view`; anything else in it is dropped)."""
    query = ""
    if request is not None:
        view = QueryDict(request.POST.get("view", ""))
        kept = {}
        if view.get("seats") in SEAT_FILTERS:
            kept["seats"] = view["seats"]
        if view.get("page", "").isascii() and view.get("page", "").isdigit():
            kept["page"] = view["page"]
        query = f"?{urlencode(kept)}" if kept else ""
    return reverse("account_users") + query + (f"#{anchor}" if anchor else "")


def _release_auto_id(member_pk):
    # one release form per member row: unique ids, plain field names
    return f"id_release{member_pk}_%s"


def _seat_rows(seats, eligible):
    """What each row of the seats table shows, prepared once per page (issue 16: up to 50 rows,
    where per-row template tags cost more than the rest of the page): the seat's number and
    checkbox labels, its dates in the long format (the rows share a few dates: each is
    formatted once) and, for a free seat when someone can take it, the assignment form."""
    days = {}

    def day(value):
        if value not in days:
            days[value] = formatting.day(value)
        return days[value]

    for seat in seats:
        seat.number_label = pgettext("seat", "no. %(number)s") % {"number": seat.number}
        seat.select_label = _("Select seat no. %(number)s") % {"number": seat.number}
        seat.valid_until_shown = day(seat.valid_until)
        seat.paid_through_shown = day(seat.paid_through) if seat.paid_through else ""
        # set on every row, None included: a template lookup of a missing attribute costs a
        # `dir()` of the model instance (Django checks whether a property raised it)
        seat.assign_form = None
        if eligible and seat.is_free:
            seat.assign_form = SeatAssignForm(members=eligible, auto_id=f"id_assign{seat.pk}_%s")


def _render_users(request, account, *, add_form=None, invite_form=None, release_forms=None):
    """The users page; forms passed in (bound, with errors) replace the blank ones.

    Six queries whatever the number of seats (issue 16): the session, the user with its member
    and account (`seats.auth`), the access decision (whose policy and standing the page reuses),
    then the members with the seat counts (`users_page_members`), the page of seats and the
    open invitations. A contract account adds those of `contract_seat_state`, a trial account
    the trial's cap."""
    release_forms = release_forms or {}
    as_of = today()
    access = getattr(request, "access", None)
    if access is not None and access.policy is not None:
        lead_days = access.policy.banner_lead_days
    else:
        lead_days = BillingPolicy.current().banner_lead_days
    which = request.GET.get("seats", "")
    which = which if which in SEAT_FILTERS else ""
    people = users_page_members(account, as_of, lead_days)
    counts = {"total": people.counts["total"], "free": people.counts["free"]}
    paginator = Paginator(account_seats_filtered(account, which, as_of, lead_days),
                          SEATS_PER_PAGE)
    # the filtered count is one of the counts read with the members: no COUNT query of its own
    paginator.count = {"": counts["total"], "free": counts["free"],
                       "occupied": counts["total"] - counts["free"],
                       "expiring": people.counts["expiring"]}[which]
    seats_page = paginator.get_page(request.GET.get("page"))
    seats = list(seats_page.object_list)
    members = []
    for m in people.listed:
        form = release_forms.get(m.pk)
        members.append({
            "member": m,
            "role_form": MemberRoleForm(initial={"role": m.role},
                                        auto_id=f"id_role{m.pk}_%s"),
            "seat": getattr(m, "seat", None),
            "release_form": form or MemberReleaseForm(auto_id=_release_auto_id(m.pk)),
            "release_open": form is not None,
        })
    eligible = people.eligible
    _seat_rows(seats, eligible)
    addable = services.seats_addable(account, as_of)
    add_form = add_form or SeatsAddForm()
    add_form.fields["count"].widget.attrs["max"] = max(1, addable)
    in_trial = account.trial and account.trial_ends_on and as_of <= account.trial_ends_on
    standing = access.standing if access is not None else None
    context = {
        "account": account,
        "seats": seats,
        "seats_page": seats_page,
        "seat_filter": which,
        # the filter and page, posted back by each seat action's form (`_users_url`)
        "view_query": request.GET.urlencode(),
        # the hidden CSRF field of the forms on the seat rows, rendered once for all of them (a
        # token of this request's secret, as `{% csrf_token %}` writes)
        "csrf_input": csrf_input(request),
        "seat_filters": [("", _("All")), ("free", _("Free")), ("occupied", _("Occupied")),
                         ("expiring", _("Expiring"))],
        "expiring_lead_days": lead_days,
        "counts": counts,
        "occupied": counts["total"] - counts["free"],
        "members": members,
        # every invitation the same way whoever owns the address (issues 12/13)
        "invitations": account_invitations_open(account),
        "add_form": add_form,
        "invite_form": invite_form or MemberInviteForm(),
        "max_seats": addable,
        # the cap on seats during the free trial (issue 12); None once the trial is over
        "trial_max_seats": BillingPolicy.current().trial_max_seats if in_trial else None,
        # the standing the access decision computed for this request, when it made one
        "seats_only_in_renewal": services.seats_only_in_renewal(account, as_of,
                                                                standing=standing),
        # a contract account's live vs confirmed seat count (issue 11); None otherwise
        "contract_seats": (contract_seat_state(account, as_of)
                           if people.contract_open else None),
    }
    return render(request, "seats/users.html", context)


@account_admin_required
def users_page(request, account):
    return _render_users(request, account)


@account_admin_required
@post_only("account_users", anchor="seats")
def seats_add(request, account):
    form = SeatsAddForm(request.POST)
    if form.is_valid():
        try:
            added = services.seats_add(
                account=account, count=form.cleaned_data["count"], actor=request.user,
                as_of=today(),
            )
        except DomainError as exc:
            if not attach_domain_error(form, exc):
                messages.error(request, exc.message)
                return redirect(_users_url("seats"))
        else:
            messages.success(
                request,
                ngettext("Added %(count)d seat, valid until %(date)s.",
                         "Added %(count)d seats, valid until %(date)s.", len(added))
                % {"count": len(added), "date": formatting.day(added[0].valid_until)},
            )
            return redirect(_users_url("seats"))
    return _render_users(request, account, add_form=form)


@account_admin_required
@post_only("account_users", anchor="seats", exists=seat_exists)
def seat_remove(request, account, seat_id):
    seat = get_object_or_404(Seat, pk=seat_id, account=account)
    # a seat that cannot be removed goes straight to the service, which says why
    if not confirmed(request) and seat.is_free and seat.removed_on is None:
        return confirm_page(
            request, title=_("Remove seat no. %(number)d?") % {"number": seat.number},
            consequences=seat_removal_consequences([seat], today()),
            confirm_label=_("Remove seat"), cancel_anchor="seats",
        )
    try:
        services.seat_remove(account=account, seat=seat, actor=request.user, as_of=today())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Seat no. %(number)d has been removed.")
                         % {"number": seat.number})
    return redirect(_users_url("seats", request))


@account_admin_required
@post_only("account_users", anchor="seats", exists=seat_exists)
def seat_assign(request, account, seat_id):
    seat = get_object_or_404(Seat, pk=seat_id, account=account)
    # any member of this account is accepted here; the service says who may take a seat
    form = SeatAssignForm(
        request.POST, members=Member.objects.filter(account=account).select_related("user")
    )
    if not form.is_valid():
        messages.error(request, _("Choose a member of your organisation for the seat."))
        return redirect(_users_url("seats", request))
    member = form.cleaned_data["member"]
    try:
        services.seat_assign(
            account=account, seat=seat, member=member, actor=request.user, as_of=today()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(email)s now occupies seat no. %(number)d.")
            % {"email": member.email, "number": seat.number},
        )
    return redirect(_users_url("seats", request))


@account_admin_required
@post_only("account_users", anchor="members")
def member_invite(request, account):
    form = MemberInviteForm(request.POST)
    if form.is_valid():
        try:
            email = form.cleaned_data["email"]
            services.member_invite(
                account=account, email=email,
                role=form.cleaned_data["role"], actor=request.user, as_of=today(),
            )
        except DomainError as exc:
            # shown above the form, which keeps what was typed
            if not attach_domain_error(form, exc):
                form.add_error(None, str(exc.message))
        else:
            # the same words whoever owns the address (issue 13): an address with a login
            # elsewhere is not added, and its owner is told by e-mail instead
            messages.success(request, invitation_sent_message(email))
            return redirect(_users_url("members"))
    return _render_users(request, account, invite_form=form)


@account_admin_required
@post_only("account_users", anchor="member-{member_id}", exists=member_exists)
def member_release(request, account, member_id, state):
    member = get_object_or_404(Member.objects.select_related("user"), pk=member_id,
                               account=account)
    form = MemberReleaseForm(request.POST, auto_id=_release_auto_id(member.pk))
    if form.is_valid():
        seat = Seat.objects.filter(member=member).first()
        had_seat = seat is not None
        effective, remove_seat = form.cleaned_data["effective"], form.cleaned_data["remove_seat"]
        if not confirmed(request) and member.state not in (state, MemberState.DELETED) and (
                effective is None or effective >= today()):
            return _confirm_release(request, account, member, state=state, seat=seat,
                                    effective=effective or today(), remove_seat=remove_seat)
        try:
            released = services.member_release(
                account=account, member=member, state=state, effective=effective,
                remove_seat=remove_seat, actor=request.user, as_of=today(),
            )
        except DomainError as exc:
            if not attach_domain_error(form, exc):
                messages.error(request, exc.message)
                return redirect(_users_url("members"))
        else:
            messages.success(request, release_message(
                released, state, had_seat=had_seat, remove_seat=remove_seat, effective=effective
            ))
            return redirect(_users_url("members"))
    return _render_users(request, account, release_forms={member.pk: form})


def _confirm_release(request, account, member, *, state, seat, effective, remove_seat):
    """The confirmation step of a suspension or deletion; releasing the last active admin is
    refused here already (the service refuses it again under the lock)."""
    is_self = member.user_id == request.user.pk
    if is_last_active_admin(account, member):
        if is_self:
            messages.error(request, _("You are the last active administrator; make someone else "
                                      "an administrator first."))
        else:
            messages.error(request, _("%(email)s is the last active administrator; make someone "
                                      "else an administrator first.") % {"email": member.email})
        return redirect(_users_url("members"))
    consequences, warning = member_release_consequences(
        member, state=state, effective=effective, remove_seat=remove_seat, seat=seat,
        as_of=today(), is_self=is_self,
    )
    if state == MemberState.SUSPENDED:
        title, label = _("Suspend %(email)s?"), _("Suspend")
    else:
        title, label = _("Delete %(email)s?"), _("Delete")
    return confirm_page(request, title=title % {"email": member.email},
                        consequences=consequences, warning=warning, confirm_label=label,
                        cancel_anchor="members")


@account_admin_required
@post_only("account_users", anchor="member-{member_id}", exists=member_exists)
def member_cancel_scheduled(request, account, member_id):
    member = get_object_or_404(Member.objects.select_related("user"), pk=member_id,
                               account=account)
    try:
        services.member_cancel_scheduled(
            account=account, member=member, actor=request.user, as_of=today()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The scheduled change for %(email)s has been cancelled.") % {"email": member.email},
        )
    return redirect(_users_url("members"))


@account_admin_required
@post_only("account_users", anchor="member-{member_id}", exists=member_exists)
def member_restore(request, account, member_id):
    member = get_object_or_404(Member.objects.select_related("user"), pk=member_id,
                               account=account)
    try:
        services.member_restore(account=account, member=member, actor=request.user, as_of=today())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(email)s has been restored onto a free seat.") % {"email": member.email}
        )
    return redirect(_users_url("members"))
