"""The dunning app in the Django admin (issue 10, "Ops in the Django admin").

- The dunning rows (recorded phases, transitions, notices, sweep runs, tombstones) are shown
  read-only: only `dunning.services` writes them.
- Ops pages, staff-only (`admin.site.admin_view`) and permission-checked:
  - `/admin/dunning/jobs/`: every billing job with "Run now" (the sweep with a date and a dry
    run), the recent runs and the sweep's last runs; `/admin/dunning/jobs/<task id>/`: one run's
    state, times, result or traceback (django-celery-results), refreshing itself until it ends.
    Needs the permission to change beat schedules (whoever may reschedule a job may run it now);
    seeing runs needs the view permission on task results.
  - `/admin/dunning/accounts/`: find an account; per account a timeline
    (`accounts/<id>/timeline/`) and a preview as of a date (`accounts/<id>/preview/`). Need the
    view permission on accounts.

The ops pages hang off the admin site's own URLs (added in front of them below) rather than a
model admin's, so that their addresses say what they are, not /admin/dunning/sweeprun/jobs/.
"""

import json
from datetime import timedelta

from celery import states
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django_celery_results.models import TaskResult

from billing_site.admin_mixins import ReadOnlyAdminMixin
from billing_site.dates import as_of_out_of_window, today
from billing_site.errors import DomainError
from billing_site.inputs import StrictDateFormField, query_text, row_id
from seats.models import Account

from .admin_report import report_rows
from .models import (
    AccountTombstone,
    Notice,
    PhaseTransition,
    RecordedPhase,
    SeatRecordedPhase,
    SweepRun,
)
from .preview import account_preview
from .services.jobs import (
    CHARGE_RECURRING,
    job_named,
    job_run,
    jobs,
    last_results,
    recent_results,
)
from .timeline import account_timeline

RUN_JOBS_PERMISSION = "django_celery_beat.change_periodictask"
SEE_JOBS_PERMISSION = "django_celery_results.view_taskresult"
SEE_ACCOUNTS_PERMISSION = "seats.view_account"
STATUS_REFRESH_SECONDS = 2
# the status page stops reloading itself after this long: a job still queued is waiting for a
# worker that is not there (or is busy), one still running may have lost its worker
STATUS_REFRESH_QUEUED_FOR = timedelta(minutes=10)
STATUS_REFRESH_RUNNING_FOR = timedelta(minutes=60)


# Celery's states in words (the code stays beside them: it is what the worker's log says)
STATE_LABELS = {
    states.PENDING: pgettext_lazy("job state", "queued"),
    states.STARTED: pgettext_lazy("job state", "running"),
    states.SUCCESS: pgettext_lazy("job state", "succeeded"),
    states.FAILURE: pgettext_lazy("job state", "failed"),
    states.RETRY: pgettext_lazy("job state", "to be retried"),
    states.REVOKED: pgettext_lazy("job state", "cancelled"),
}


def _labelled(row):
    """`row` (a TaskResult or None) with `state_label`, its state in the user's language."""
    if row is not None:
        row.state_label = str(STATE_LABELS.get(row.status, row.status))
    return row


def _account_links(account_id):
    return format_html(
        '<a href="{}">{}</a> · <a href="{}">{}</a>',
        reverse("admin:dunning_account_timeline", args=[account_id]), _("Timeline"),
        reverse("admin:dunning_account_preview", args=[account_id]), _("Preview"),
    )


# --- the dunning rows, read-only ------------------------------------------------------------


class DunningAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only; the change lists link to the ops pages (jobs, accounts)."""

    change_list_template = "dunning/admin/change_list.html"


class AccountRowAdmin(DunningAdmin):
    list_select_related = ["account"]

    @admin.display(description=gettext_lazy("timeline / preview"))
    def account_tools(self, obj):
        return _account_links(obj.account_id)


@admin.register(RecordedPhase)
class RecordedPhaseAdmin(AccountRowAdmin):
    list_display = ["account", "phase", "since", "automations_paused", "updated_at",
                    "account_tools"]
    list_filter = ["phase", "automations_paused"]
    search_fields = ["account__name", "=account__id"]
    date_hierarchy = "since"


@admin.register(SeatRecordedPhase)
class SeatRecordedPhaseAdmin(AccountRowAdmin):
    list_display = ["seat", "account", "phase", "since", "account_tools"]
    list_filter = ["phase"]
    search_fields = ["account__name", "=account__id", "=seat__id"]


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(AccountRowAdmin):
    list_display = ["account", "seat", "from_phase", "to_phase", "effective_on", "recorded_on",
                    "run", "account_tools"]
    list_filter = ["to_phase", "from_phase", ("seat", admin.EmptyFieldListFilter)]
    search_fields = ["account__name", "=account__id", "=seat__id"]
    list_select_related = ["account", "run"]
    date_hierarchy = "effective_on"


class NoticeSentFilter(admin.SimpleListFilter):
    title = gettext_lazy("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("sent")), ("no", _("not sent yet"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(sent_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notice)
class NoticeAdmin(AccountRowAdmin):
    list_display = ["account", "kind", "about_date", "created_on", "sent_at", "attempts",
                    "account_tools"]
    list_filter = ["kind", NoticeSentFilter]
    search_fields = ["account__name", "=account__id", "reference"]
    date_hierarchy = "created_on"


@admin.register(SweepRun)
class SweepRunAdmin(DunningAdmin):
    list_display = ["as_of", "dry_run", "started_at", "duration", "accounts_changed",
                    "seats_changed", "notices_created", "notices_sent", "trials_deleted",
                    "failed"]
    list_filter = ["dry_run", "as_of"]
    date_hierarchy = "started_at"

    @admin.display(description=gettext_lazy("duration"))
    def duration(self, obj):
        return obj.duration

    @admin.display(description=gettext_lazy("failed"), boolean=True)
    def failed(self, obj):
        return bool(obj.error)


@admin.register(AccountTombstone)
class AccountTombstoneAdmin(DunningAdmin):
    list_display = ["account_id_was", "name", "trial_ended_on", "deleted_on", "removed"]
    search_fields = ["name", "=account_id_was"]
    date_hierarchy = "deleted_on"


# --- ops pages ------------------------------------------------------------------------------


PERMISSION_NAMES = {
    RUN_JOBS_PERMISSION: gettext_lazy("Can change periodic task"),
    SEE_JOBS_PERMISSION: gettext_lazy("Can view task result"),
    SEE_ACCOUNTS_PERMISSION: gettext_lazy("Can view account"),
}
PERMISSION_PURPOSES = {
    RUN_JOBS_PERMISSION: gettext_lazy("run billing jobs"),
    SEE_JOBS_PERMISSION: gettext_lazy("see the billing jobs and their runs"),
    SEE_ACCOUNTS_PERMISSION: gettext_lazy("see accounts' timelines and previews"),
}


class OpsPermissionDenied(PermissionDenied):
    """A 403 of the ops pages, answered with the admin's look and a reason meant for staff (the
    site's shared 403 page speaks to a customer's members: "only administrators of the
    organisation…"). `admin.site.admin_view` lets only staff reach these views."""


def _require(request, *perms):
    """Any one of `perms` (superusers hold them all), else a 403 naming what to ask for. The
    least of `perms` comes last: the 403 says what it allows."""
    if not any(request.user.has_perm(perm) for perm in perms):
        raise OpsPermissionDenied(*perms)


def _denied(request, exc):
    perms = [perm for perm in exc.args if perm in PERMISSION_NAMES]
    return _page(request, "dunning/admin/denied.html", _("Permission needed"), {
        "purpose": PERMISSION_PURPOSES[perms[-1]] if perms else "",
        "permissions": [(PERMISSION_NAMES[perm], perm) for perm in perms],
    }, status=403)


def _ops_view(view):
    """`view` answering its own 403s with the staff wording (see `OpsPermissionDenied`)."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except OpsPermissionDenied as exc:
            return _denied(request, exc)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _page(request, template, title, context, *, status=200):
    return TemplateResponse(request, template,
                            {**admin.site.each_context(request), "title": title, **context},
                            status=status)


def _change_url(request, obj):
    """The admin page of `obj` when it has one the user may see, else None."""
    model_admin = admin.site._registry.get(type(obj))
    if model_admin is None or not model_admin.has_view_permission(request, obj):
        return None
    opts = obj._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return None


class RunJobForm(forms.Form):
    """One "Run now" button; the sweep's row adds its date and dry run."""

    task = forms.CharField(widget=forms.HiddenInput)
    as_of = StrictDateFormField(
        label=gettext_lazy("as of"), required=False, input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Business date (YYYY-MM-DD); empty: today."),
        error_messages={"invalid": gettext_lazy(
            "Enter the date as YYYY-MM-DD, for example 2026-11-16.")},
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("dry run"), required=False,
        help_text=gettext_lazy("Only report what it would do; change and send nothing."))

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.job = None

    def clean_task(self):
        self.job = job_named(self.cleaned_data["task"])
        if self.job is None:
            raise forms.ValidationError(_("There is no such job."))
        if not self.job.registered:
            raise forms.ValidationError(
                _("The job %(task)s has no task in this deployment yet.")
                % {"task": self.job.task})
        return self.job.task

    def clean(self):
        data = super().clean()
        as_of = data.get("as_of")
        if self.job is None or not self.job.takes_as_of or as_of is None:
            return data
        if message := as_of_out_of_window(as_of, self.today):  # the one as_of rule
            self.add_error("as_of", message)
        elif as_of > self.today and not data.get("dry_run"):
            # a real run for a later day would record phases and e-mail customers (or charge
            # their cards) before the day comes; the sweep's command line remains for exceptions
            if self.job.task == CHARGE_RECURRING:
                self.add_error("as_of", _("Card charges for a future date can only be a dry run: "
                                          "a real run would take the money now."))
            else:
                self.add_error("as_of", _("A sweep for a future date can only be a dry run: a "
                                          "real run would record phases and send e-mails "
                                          "early."))
        return data


def _jobs_page(request, *, form=None, status=200):
    all_jobs = jobs()
    names = [job.task for job in all_jobs]
    last = last_results(names)
    rows = [{"job": job, "last": _labelled(last.get(job.task)),
             "form": form if form is not None and form.data.get("task") == job.task
             else RunJobForm(initial={"task": job.task}, today=today(),
                             auto_id=f"id_job{number}_%s")}
            for number, job in enumerate(all_jobs)]
    return _page(request, "dunning/admin/jobs.html", _("Billing jobs"), {
        "rows": rows,
        "other_errors": _errors_not_shown(form, rows),
        "recent": [(_labelled(row), _decoded(row.task_kwargs)) for row in recent_results(names)],
        "sweep_runs": SweepRun.objects.order_by("-started_at", "-id")[:10],
        "can_run": request.user.has_perm(RUN_JOBS_PERMISSION),
        "form_errors": form is not None and bool(form.errors),
    }, status=status)


def _fields_shown(job):
    """The fields whose errors a job's row shows next to them (see jobs.html)."""
    return {"task", *(("as_of",) if job.takes_as_of else ()),
            *(("dry_run",) if job.takes_dry_run else ())}


def _errors_not_shown(form, rows) -> list[str]:
    """The errors of a refused `form` that no row shows next to their field: all of them when no
    row shows the form (a job that does not exist), else those of the fields its job's row has
    no input for (e.g. a date sent for a job that takes none), each named by its field."""
    if form is None:
        return []
    row = next((row for row in rows if row["form"] is form), None)
    shown = _fields_shown(row["job"]) if row else set()
    if row:
        shown.add(NON_FIELD_ERRORS)
    return [f"{capfirst(form.fields[name].label)}: {error}"
            if name in form.fields and name != "task" else str(error)
            for name, errors in form.errors.items() if name not in shown for error in errors]


def jobs_view(request):
    _require(request, RUN_JOBS_PERMISSION, SEE_JOBS_PERMISSION)
    if request.method != "POST":
        return _jobs_page(request)
    _require(request, RUN_JOBS_PERMISSION)
    form = RunJobForm(request.POST, today=today())
    if not form.is_valid():
        return _jobs_page(request, form=form, status=400)
    try:
        row = job_run(job=form.job, as_of=form.cleaned_data.get("as_of"),
                      dry_run=form.cleaned_data.get("dry_run", False), actor=request.user)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _jobs_page(request, form=form, status=exc.status)
    messages.success(request, _("The job %(task)s was queued.") % {"task": form.job.task})
    return HttpResponseRedirect(reverse("admin:dunning_job_status", args=[row.task_id]))


def _decoded(text):
    """A stored (JSON) value of a result row as readable text."""
    if text in (None, ""):
        return ""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return text
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)


def job_status_view(request, task_id):
    _require(request, RUN_JOBS_PERMISSION, SEE_JOBS_PERMISSION)
    row = TaskResult.objects.filter(task_id=task_id).first()
    if row is None:
        # `job_run` stores a PENDING row before it redirects here, and beat's runs are listed
        # from their stored rows: an id with no row is none of this site's runs (or its row
        # was cleaned up), and waiting for it would never end
        return _page(request, "dunning/admin/job_status.html", _("Unknown job run"), {
            "task_id": task_id, "unknown": True}, status=404)
    finished = _labelled(row).status in states.READY_STATES
    result = sweep_run = None
    report = ""
    if row is not None and row.result:
        try:
            result = json.loads(row.result)
        except (TypeError, ValueError):
            result = None
    result_text = _decoded(row.result)
    if isinstance(result, dict) and row.task_name == "dunning.sweep":
        report = result.get("report") or ""
        # the report is shown below as a table in the user's language, not as English text
        result_text = json.dumps({key: value for key, value in result.items() if key != "report"},
                                 indent=2, ensure_ascii=False)
        if result.get("run_id"):
            sweep_run = SweepRun.objects.filter(pk=result["run_id"]).first()
    duration = None
    if finished and row.date_done:
        duration = row.date_done - (row.date_started or row.date_created)
    refresh, waited_note = _refresh(row, finished)
    return _page(request, "dunning/admin/job_status.html", _("Job %(id)s") % {"id": task_id}, {
        "task_id": task_id, "row": row, "finished": finished,
        "refresh_seconds": refresh, "waited_note": waited_note,
        "result_text": result_text,
        "args_text": _decoded(row.task_args),
        "kwargs_text": _decoded(row.task_kwargs),
        "report_rows": report_rows(report), "run_report_rows":
        report_rows(sweep_run.report) if sweep_run and sweep_run.report else None,
        "report": report, "sweep_run": sweep_run,
        "sweep_run_url": _change_url(request, sweep_run) if sweep_run else None,
        "result_url": _change_url(request, row),
        "duration": duration,
    })


def _refresh(row, finished):
    """(seconds between reloads or None, a note why the page stopped reloading): a job still
    queued after `STATUS_REFRESH_QUEUED_FOR`, or running after `STATUS_REFRESH_RUNNING_FOR`, is
    not polled any more."""
    if finished:
        return None, ""
    now = timezone.now()
    if row.status == states.STARTED and row.date_started:
        minutes = int((now - row.date_started).total_seconds() // 60)
        if now - row.date_started < STATUS_REFRESH_RUNNING_FOR:
            return STATUS_REFRESH_SECONDS, ""
        return None, ngettext(
            "Still running after %(minutes)d minute: the worker may have stopped (see its log). "
            "This page no longer reloads itself.",
            "Still running after %(minutes)d minutes: the worker may have stopped (see its log). "
            "This page no longer reloads itself.", minutes) % {"minutes": minutes}
    since = row.date_created
    if since is None or now - since < STATUS_REFRESH_QUEUED_FOR:
        return STATUS_REFRESH_SECONDS, ""
    minutes = int((now - since).total_seconds() // 60)
    return None, ngettext(
        "Still waiting after %(minutes)d minute: is the Celery worker running? This page no "
        "longer reloads itself.",
        "Still waiting after %(minutes)d minutes: is the Celery worker running? This page no "
        "longer reloads itself.", minutes) % {"minutes": minutes}


def accounts_view(request):
    _require(request, SEE_ACCOUNTS_PERMISSION)
    query = query_text(request.GET.get("q"), max_length=200)
    accounts = Account.objects.select_related("package", "recorded_phase").order_by("name", "id")
    if query:
        match = Q(name__icontains=query) | Q(members__user__email__icontains=query)
        if (account_id := row_id(query)) is not None:
            match |= Q(pk=account_id)
        accounts = accounts.filter(match).distinct()
    limit = 50
    shown = list(accounts[:limit + 1])
    return _page(request, "dunning/admin/accounts.html", _("Accounts: timeline and preview"), {
        "query": query, "accounts": shown[:limit], "more": len(shown) > limit,
    })


def _account(request, account_id):
    _require(request, SEE_ACCOUNTS_PERMISSION)
    return get_object_or_404(Account.objects.select_related("package"), pk=account_id)


def timeline_view(request, account_id):
    account = _account(request, account_id)
    timeline = account_timeline(account)
    urls: dict = {}

    def link(obj):
        key = (type(obj), obj.pk)
        if key not in urls:
            urls[key] = _change_url(request, obj)
        return urls[key]

    return _page(request, "dunning/admin/timeline.html",
                 _("Timeline of %(account)s") % {"account": account.name}, {
                     "account": account, "timeline": timeline,
                     "events": [(event, link(event.obj)) for event in timeline.events],
                     "account_url": _change_url(request, account), "today": today(),
                 })


class PreviewForm(forms.Form):
    as_of = StrictDateFormField(
        label=gettext_lazy("as of"), input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy(
            "Enter the date as YYYY-MM-DD, for example 2026-11-16.")},
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_as_of(self):
        as_of = self.cleaned_data["as_of"]
        if message := as_of_out_of_window(as_of, self.today):  # the one as_of rule
            raise forms.ValidationError(message)
        return as_of


def preview_view(request, account_id):
    account = _account(request, account_id)
    now = today()
    form = PreviewForm(request.GET if "as_of" in request.GET else {"as_of": now.isoformat()},
                       today=now)
    preview = account_preview(account, as_of=form.cleaned_data["as_of"]) if form.is_valid() \
        else None
    title = _("%(account)s as of a date") % {"account": account.name}
    if preview is not None:
        title = _("%(account)s as of %(day)s") % {
            "account": account.name, "day": date_format(preview.as_of, "DATE_FORMAT")}
    return _page(request, "dunning/admin/preview.html", title, {
        "account": account, "form": form, "preview": preview,
        "account_url": _change_url(request, account),
    }, status=200 if form.is_valid() else 400)


def _ops_urls():
    def view(func):
        return admin.site.admin_view(_ops_view(func))

    return [
        path("dunning/jobs/", view(jobs_view), name="dunning_jobs"),
        path("dunning/jobs/<str:task_id>/", view(job_status_view), name="dunning_job_status"),
        path("dunning/accounts/", view(accounts_view), name="dunning_accounts"),
        path("dunning/accounts/<int:account_id>/timeline/", view(timeline_view),
             name="dunning_account_timeline"),
        path("dunning/accounts/<int:account_id>/preview/", view(preview_view),
             name="dunning_account_preview"),
    ]


_site_urls = admin.site.get_urls


def _site_urls_with_ops():
    # in front of the site's own, before its catch-all; "jobs" and "accounts" are not models
    return _ops_urls() + _site_urls()


admin.site.get_urls = _site_urls_with_ops
