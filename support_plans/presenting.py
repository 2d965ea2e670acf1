"""How the support-plan pages write durations, moments and a plan's terms, in the active language
(issue 14). Money and dates go through `billing_site.formatting` like everywhere else; this adds
what only these pages need: working time ("3 h 20 min"), a moment with its weekday in Warsaw
("Monday, Nov. 23, 2026, 9:30 a.m."), and a plan's terms as (label, value) rows."""

from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from billing_site import formatting

from .sla import WARSAW

PLN = "PLN"


def duration(minutes) -> str:
    """Whole minutes as hours and minutes: "3 h 20 min", "45 min", "2 h" ("3 godz. 20 min")."""
    if minutes is None:
        return ""
    minutes = int(minutes)
    sign = "−" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        text = _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    elif hours:
        text = _("%(hours)d h") % {"hours": hours}
    else:
        text = _("%(minutes)d min") % {"minutes": rest}
    return sign + text


def moment(value) -> str:
    """An aware datetime in Warsaw with its weekday: "Monday, Nov. 23, 2026, 9:30 a.m." /
    "poniedziałek, 23 listopada 2026 09:30"."""
    if value is None:
        return ""
    local = timezone.localtime(value, WARSAW)
    return _("%(weekday)s, %(datetime)s") % {"weekday": formatting.weekday(local),
                                              "datetime": date_format(local, "DATETIME_FORMAT")}


def _clock(value) -> str:
    return time_format(value, "TIME_FORMAT")


def working_hours(plan) -> str:
    """When the plan's clock runs: "Mon–Fri except public holidays, 8 a.m.–4 p.m."."""
    if plan.weekends and plan.public_holidays:
        days = _("every day")
    elif plan.weekends:
        days = _("every day except public holidays")
    elif plan.public_holidays:
        days = _("Mon–Fri, public holidays included")
    else:
        days = _("Mon–Fri except public holidays")
    hours = (_("24 hours a day") if plan.round_the_clock else
             f"{_clock(plan.workday_start)}–{_clock(plan.workday_end)}")
    text = f"{days}, {hours}"
    if plan.critical_on_days_off and not (plan.weekends and plan.public_holidays):
        text += "; " + _("critical issues also on days off")
    return text


def reaction(plan) -> str:
    if plan.reaction_minutes is None:
        return _("no guaranteed reaction")
    return _("%(time)s of working time") % {"time": duration(plan.reaction_minutes)}


def plan_terms(plan) -> list[tuple[str, str]]:
    """The plan's terms as (label, value) rows, in the order of the SPEC §8 table."""
    months = plan.minimum_term_months
    return [
        (_("Monthly fee"), _("%(amount)s net") % {
            "amount": formatting.money(plan.monthly_fee, PLN)}),
        (_("Minimum term"), ngettext("%(count)d month", "%(count)d months", months)
         % {"count": months} if months else _("none")),
        (_("Reaction time"), reaction(plan)),
        (_("Working hours"), working_hours(plan)),
        (_("Hours included"), _("%(time)s a month") % {"time": duration(plan.hours_included)}
         if plan.hours_included else _("none")),
        (_("Monthly guaranteed-support limit"), duration(plan.monthly_limit_minutes)
         if plan.monthly_limit_minutes is not None else _("not applicable")),
        (_("E-mail support"), plan.get_email_scope_display()),
        (_("Phone support and consultations"), _("yes") if plan.phone else _("no")),
        (_("Development work"), _("yes") if plan.development else _("no")),
        (_("Help outside the bundle"), _("%(amount)s net an hour") % {
            "amount": formatting.money(plan.hourly_rate, PLN)}),
    ]


def time_left(row) -> str:
    """A queue row's working time left: "3 h 20 min of working time left", "overdue by 40 min
    of working time", "no deadline"."""
    if row.minutes_left is None:
        return _("no deadline")
    if row.minutes_left < 0:
        return _("overdue by %(time)s of working time") % {"time": duration(-row.minutes_left)}
    return _("%(time)s of working time left") % {"time": duration(row.minutes_left)}


def sentence(text: str) -> str:
    """`text` without the doubled full stop left when a sentence ends with a value that ends
    with one itself ("… is Monday, Dec. 7, 2026, 4 p.m.." in English; issue 14)."""
    return text[:-1] if text.endswith("..") else text


def ticket_filed(ticket) -> str:
    """The message after a ticket is filed (staff queue and the customer's page alike)."""
    if ticket.deadline is None:
        return _("Ticket #%(id)d is filed; it has no guaranteed deadline.") % {"id": ticket.pk}
    return sentence(_("Ticket #%(id)d is filed; the reaction deadline is %(deadline)s.") % {
        "id": ticket.pk, "deadline": moment(ticket.deadline)})
