"""More of "Account settings → Users" (issue 12): role changes, removing several free seats at
once (the confirmation step is `seats.confirm`); re-sending and cancelling invitations (issues
12/13);
the page where an invitee sets their password, which accepts the invitation.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing_site.actions import post_only
from billing_site.choices import choice_labels
from billing_site.dates import today
from billing_site.errors import DomainError

from . import services
from .confirm import (
    confirm_page,
    confirmed,
    role_change_consequences,
    seat_removal_consequences,
)
from .forms import MemberRoleForm
from .invitations import invitation_sent_message
from .models import Invitation, Member, MemberRole, Seat
from .selectors import is_last_active_admin
from .views import _users_url, account_admin_required, member_exists


@account_admin_required
@post_only("account_users", anchor="member-{member_id}", exists=member_exists)
def member_role(request, account, member_id):
    """Change a member's role (SPEC §1). Any change asks for a confirmation first stating what
    the member gains or loses (`confirm=1` acts); demoting the last active administrator is
    refused before that step. A GET is `post_only`'s; a foreign or missing member is a 404."""
    member = get_object_or_404(Member.objects.select_related("user"), pk=member_id,
                               account=account)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        # the display names in the page's language, not the internal codes (issue 12)
        messages.error(request, _("Choose a role: %(roles)s.")
                       % {"roles": choice_labels(MemberRole.choices)})
        return redirect(reverse("account_users") + "#members")
    role = form.cleaned_data["role"]
    is_self = member.user_id == request.user.pk
    demoting_self = is_self and member.is_admin and role != MemberRole.ADMIN
    if role != member.role and not confirmed(request):
        # every change of role is confirmed first (issues 12/13 item 3); the last-admin guard is
        # told here already (the service refuses it again under the lock)
        if member.is_admin and role != MemberRole.ADMIN and is_last_active_admin(account, member):
            if is_self:
                messages.error(request, _("You are the last active administrator; make someone "
                                          "else an administrator first."))
            else:
                messages.error(request, _("%(email)s is the last active administrator; make "
                                          "someone else an administrator first.")
                               % {"email": member.email})
            return redirect(reverse("account_users") + "#members")
        title, consequences, warning = role_change_consequences(member, role, is_self=is_self)
        return confirm_page(request, title=title, consequences=consequences, warning=warning,
                            confirm_label=_("Change the role"), cancel_anchor="members")
    try:
        member = services.member_role_change(account=account, member=member, role=role,
                                             actor=request.user, as_of=today())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("account_users") + "#members")
    messages.success(request, _("%(email)s is now %(role)s.")
                     % {"email": member.email, "role": member.get_role_display()})
    if demoting_self:  # this page is for admins only
        return redirect("home")
    return redirect(reverse("account_users") + "#members")


@account_admin_required
@post_only("account_users", anchor="seats")
def seats_remove(request, account):
    """Remove the free seats ticked on the Users page, after one confirmation for all of them
    that states any paid time lost."""
    # ASCII digits only ("٣" is not 3) and small enough for a bigint column
    ids = sorted({int(value) for value in request.POST.getlist("seat")
                  if value.isascii() and value.isdigit() and len(value) <= 18})
    back = _users_url("seats", request)
    if not ids:
        messages.error(request, _("Choose at least one free seat to remove."))
        return redirect(back)
    # free: neither occupied nor held by an invitation (issue 13 item 3)
    seats = list(Seat.objects.free().filter(account=account, pk__in=ids,
                                            removed_on__isnull=True).order_by("number"))
    # seats that cannot be removed go straight to the service, which says why
    if not confirmed(request) and len(seats) == len(ids):
        return confirm_page(
            request,
            title=ngettext("Remove %(count)d seat?", "Remove %(count)d seats?", len(seats))
            % {"count": len(seats)},
            consequences=seat_removal_consequences(seats, today()),
            confirm_label=_("Remove seats"), cancel_anchor="seats",
        )
    try:
        removed = services.seats_remove(account=account, seats=ids, actor=request.user,
                                        as_of=today())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ngettext("Removed %(count)d seat: no. %(numbers)s.",
                                           "Removed %(count)d seats: no. %(numbers)s.",
                                           len(removed))
                         % {"count": len(removed),
                            "numbers": ", ".join(str(seat.number) for seat in removed)})
    return redirect(back)


class InvitationPasswordSetView(auth_views.PasswordResetConfirmView):
    """Django's "set a new password" page (password reset and the invitation link): setting
    the password also accepts the invitee's pending invitations (issues 12/13), so that the members
    list shows them as members from now on."""

    def get_context_data(self, **kwargs):
        """`first_password`: the login never had a password (an invitee), so the page says
        "choose your password" rather than "set a new password" (QA)."""
        context = super().get_context_data(**kwargs)
        user = getattr(self, "user", None)
        context["first_password"] = user is not None and not user.has_usable_password()
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        services.invitations_accept(user=form.user)
        return response


def invitation_exists(request, account, invitation_id, **_kwargs) -> bool:
    """For `post_only`: `invitation_id` is an invitation of the admin's `account`."""
    return Invitation.objects.filter(pk=invitation_id, account=account).exists()


@account_admin_required
@post_only("account_users", anchor="members", exists=invitation_exists)
def invitation_resend(request, account, invitation_id):
    """Send a pending invitation's e-mail again; the same answer whoever owns the address."""
    invitation = get_object_or_404(Invitation, pk=invitation_id, account=account)
    try:
        services.invitation_resend(account=account, invitation=invitation, actor=request.user,
                                   as_of=today())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, invitation_sent_message(invitation.email))
    return redirect(reverse("account_users") + "#members")


@account_admin_required
@post_only("account_users", anchor="members", exists=invitation_exists)
def invitation_cancel(request, account, invitation_id):
    """Cancel a pending invitation (its seat, if it took one, becomes free)."""
    invitation = get_object_or_404(Invitation, pk=invitation_id, account=account)
    try:
        services.invitation_cancel(account=account, invitation=invitation, actor=request.user,
                                   as_of=today())
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The invitation of %(email)s has been cancelled.")
                         % {"email": invitation.email})
    return redirect(reverse("account_users") + "#members")
