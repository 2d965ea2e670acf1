"""The sweep's plain-text report (`SweepLine.as_row`'s fixed-width lines) read back into rows for
the ops Jobs page's run status: in the user's language, with the phases' and e-mail kinds'
labels and each date saying what it is (issue 10, "Ops in the Django admin").

The line format: "<id:>8>  <name[:28]:<28>  <subject:<12>  <change:<34>  <ISO date>" after one
header line; lines it cannot read (a refusal's message) are shown as they are."""

import re
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from seats.phases import Phase

from .models import NoticeKind

_REPORT_ROW = re.compile(r"^ *(?P<id>\d+)  (?P<name>.{28})  (?P<subject>.{12})  (?P<rest>.*)$")
_REPORT_TAIL = re.compile(r"^(?P<change>.*?)\s*(?P<day>\d{4}-\d{2}-\d{2})?\s*$")
_SEAT = re.compile(r"^seat #(\d+)$")
_PHASE_CHANGE = re.compile(r"^(\w+) → (\w+)$")
_EMAIL = re.compile(r"^e-mail: (\w+)(?: (.+))?$")
# what a notice's `about_date` is (see the sweep and `services.contracts`)
_ABOUT_SEATS = {NoticeKind.EXPIRES_IN_7_DAYS, NoticeKind.EXPIRES_IN_1_DAY, NoticeKind.GRACE,
                NoticeKind.BLOCKED, NoticeKind.SUSPENDED}
_ABOUT_TRIAL = {NoticeKind.TRIAL_ENDING, NoticeKind.TRIAL_ENDED}


@dataclass(frozen=True)
class ReportRow:
    account_id: str = ""
    name: str = ""
    seat: str = ""
    change: str = ""
    when: str = ""
    raw: str = ""  # a line that is not a row, as it is


def _label(choices, value):
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _report_change(change: str, day: date | None) -> tuple[str, str]:
    """(what, when) of a report row, in the user's language."""
    shown = date_format(day, "DATE_FORMAT") if day else ""
    effective = _("effective on %(date)s") % {"date": shown} if day else ""
    if match := _PHASE_CHANGE.match(change):
        return f"{_label(Phase, match[1])} → {_label(Phase, match[2])}", effective
    if change in ("automations paused", "automations resumed", "trial account deleted"):
        return {"automations paused": _("automations paused"),
                "automations resumed": _("automations resumed"),
                "trial account deleted": _("trial account deleted")}[change], effective
    if match := _EMAIL.match(change):
        kind = match[1]
        what = _("e-mail: %(kind)s") % {"kind": _label(NoticeKind, kind)}
        if match[2]:
            what = f"{what} ({match[2]})"
        if not day:
            return what, ""
        if kind in _ABOUT_SEATS:
            return what, _("seats valid until %(date)s") % {"date": shown}
        if kind in _ABOUT_TRIAL:
            return what, _("trial's last day %(date)s") % {"date": shown}
        if kind == NoticeKind.CONTRACT_OVERDUE:
            return what, _("invoice due on %(date)s") % {"date": shown}
        return what, _("about %(date)s") % {"date": shown}
    return change, effective


def report_rows(report: str) -> list[ReportRow]:
    """The rows of a sweep report (`SweepRun.report` or a dry run's text), header skipped."""
    rows = []
    for line in (report or "").splitlines()[1:]:  # the first line is the header
        match = _REPORT_ROW.match(line)
        tail = _REPORT_TAIL.match(match["rest"]) if match else None
        if not (match and tail):
            rows.append(ReportRow(raw=_("nothing to change")
                                  if line.strip() == "(nothing to change)" else line))
            continue
        day = date.fromisoformat(tail["day"]) if tail["day"] else None
        change, when = _report_change(tail["change"], day)
        seat = _SEAT.match(match["subject"].strip())
        rows.append(ReportRow(account_id=match["id"], name=match["name"].strip(),
                              seat=f"#{seat[1]}" if seat else "", change=change, when=when))
    return rows
