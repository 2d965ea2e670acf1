"""The confirmation step of destructive actions on the Users page (issue 12).

A destructive action (removing seats, suspending or deleting a member, changing a member's role —
issues 12/13 item 3) is a POST that acts only when it carries `confirm=1`. Without it the server
does
nothing and answers with a page stating the consequence ("paid until 2026-12-31, no refund",
"you will be logged out at once") whose button posts the same data again with `confirm=1`; so the
step works without JavaScript, and a form posted by an old page or a script never acts by
accident.
"""

from collections import defaultdict

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing_site import formatting

from .models import MemberRole, MemberState


def confirmed(request) -> bool:
    return request.POST.get("confirm") == "1"


def confirm_page(request, *, title, consequences, confirm_label, cancel_anchor, danger=True,
                 warning=None):
    """The confirmation step: nothing has been changed; the button re-posts the same form with
    `confirm=1` to the same URL."""
    hidden = [(name, value) for name in request.POST
              for value in request.POST.getlist(name)
              if name not in ("csrfmiddlewaretoken", "confirm")]
    return render(request, "seats/confirm.html", {
        "title": title, "consequences": consequences, "warning": warning,
        "confirm_label": confirm_label, "danger": danger, "hidden": hidden,
        "action": request.path, "cancel_url": reverse("account_users") + f"#{cancel_anchor}",
    })


def _numbers(seats, limit=10) -> str:
    shown = ", ".join(str(seat.number) for seat in seats[:limit])
    return shown + (" …" if len(seats) > limit else "")


def seat_removal_consequences(seats, as_of) -> list[str]:
    """What removing `seats` (free, not removed) loses: paid time, per paid-through date, is not
    refunded (SPEC §3); a removed seat does not come back."""
    lines = []
    paid = defaultdict(list)
    unpaid = []
    for seat in sorted(seats, key=lambda s: s.number):
        if seat.paid_through is not None and seat.paid_through >= as_of:
            paid[seat.paid_through].append(seat)
        else:
            unpaid.append(seat)
    for day in sorted(paid):
        group = paid[day]
        lines.append(ngettext("Seat no. %(numbers)s is paid until %(date)s, no refund.",
                              "Seats no. %(numbers)s are paid until %(date)s, no refund.",
                              len(group))
                     % {"numbers": _numbers(group), "date": formatting.day(day)})
    if unpaid:
        lines.append(ngettext("Seat no. %(numbers)s has no paid time left.",
                              "Seats no. %(numbers)s have no paid time left.", len(unpaid))
                     % {"numbers": _numbers(unpaid)})
    lines.append(ngettext("A removed seat cannot be brought back; add a new one when needed.",
                          "Removed seats cannot be brought back; add new ones when needed.",
                          len(seats)))
    return lines


def member_release_consequences(member, *, state, effective, remove_seat, seat, as_of,
                                is_self) -> tuple[list[str], str | None]:
    """(what suspending or deleting `member` does, a warning when the admin releases themselves)."""
    email, date = member.email, formatting.day(effective)
    today = effective == as_of
    if state == MemberState.SUSPENDED:
        line = (_("%(email)s is suspended today and can no longer log in.") if today else
                _("%(email)s will be suspended on %(date)s and cannot log in from then."))
    else:
        line = (_("%(email)s is deleted today: their login is switched off; to bring them back "
                  "you must invite them again.") if today else
                _("%(email)s will be deleted on %(date)s: their login is switched off then; to "
                  "bring them back you must invite them again."))
    lines = [line % {"email": email, "date": date}]
    if seat is not None:
        if remove_seat:
            lines.append(_("Their seat no. %(number)d is removed too.") % {"number": seat.number})
            lines += seat_removal_consequences([seat], as_of)
        else:
            lines.append(_("Their seat no. %(number)d stays valid and becomes free for someone "
                           "else.") % {"number": seat.number})
    warning = None
    if is_self:
        warning = (_("This is you: you will be logged out at once.") if today else
                   _("This is you: you will be logged out on %(date)s.") % {"date": date})
    return lines, warning


def role_change_consequences(member, role, *, is_self) -> tuple[str, list[str], str | None]:
    """(title, what changing `member`'s role to `role` does, a warning when the admin changes
    their own role). SPEC §1: only administrators manage seats and members, renew, change the
    package, edit billing data and see invoices; managers and users do none of it."""
    values = {"email": member.email, "old": member.get_role_display(),
              "new": MemberRole(role).label}
    lines = [_("%(email)s changes from %(old)s to %(new)s at once.") % values]
    if role == MemberRole.ADMIN:
        lines.append(_("As an administrator they can manage seats and members, renew, change "
                       "the package, edit the billing data and see the invoices."))
    elif member.is_admin:
        lines.append(_("They lose access to billing at once: the Users, Renew, Package, Invoice "
                       "data and History pages close for them, and they can no longer manage "
                       "seats and members."))
        lines.append(_("Only an administrator can give the role back. The last active "
                       "administrator cannot give up the role."))
    else:
        lines.append(_("Their access to billing does not change: only administrators manage "
                       "seats, members and billing."))
    warning = None
    if is_self and member.is_admin and role != MemberRole.ADMIN:
        title = _("Give up your administrator role?")
        warning = _("This is you: the Users, billing and renewal pages close for you at once.")
    else:
        title = _("Change the role of %(email)s?") % values
    return title, lines, warning


def release_message(member, state, *, had_seat, remove_seat, effective) -> str:
    """The flash message after suspending or deleting `member` (today or scheduled)."""
    email = member.email
    if member.state == state:  # applied today
        if state == MemberState.SUSPENDED:
            text = _("%(email)s has been suspended.") % {"email": email}
        else:
            text = _("%(email)s has been deleted.") % {"email": email}
        if had_seat:
            text += " " + (_("Their seat has been removed.") if remove_seat
                           else _("Their seat is free for someone else."))
        return text
    date = formatting.day(effective)
    if state == MemberState.SUSPENDED:
        text = _("%(email)s will be suspended on %(date)s.") % {"email": email, "date": date}
    else:
        text = _("%(email)s will be deleted on %(date)s.") % {"email": email, "date": date}
    if remove_seat and had_seat:
        text += " " + _("Their seat will be removed then.")
    return text
