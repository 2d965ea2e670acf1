"""Running a billing job now, from the admin's Jobs page (issue 10, "Ops in the Django admin").

The jobs are the periodic tasks declared in `billing_site.schedules` (so a job a later slice
schedules is listed by itself) plus the dunning sweep; the sweep and the recurring card charges
take a business date and a dry-run flag (SPEC §6: "can be run for any date and as a dry run").

`job_run` queues the task by name (`billing_site.jobs.queue_task`) and makes sure its result row
(django-celery-results' `TaskResult`) exists at once, so the status page has something to show
before a worker picks the task up:
- queued for a worker: a PENDING row is inserted with `get_or_create`, which never overwrites
  what the worker may already have stored (STARTED with `task_track_started`, then SUCCESS or
  FAILURE; the worker's own writes update the row);
- run inline (`task_always_eager`, the test suite): Celery stores nothing for eager tasks unless
  `task_store_eager_result`, so the finished outcome is stored through the result backend,
  exactly as a worker would store it.
Every run started by hand leaves an audit row (who ran what, with which arguments).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from reprlib import Repr
from types import SimpleNamespace

from celery import current_app, states
from celery.result import EagerResult
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_celery_results.models import TaskResult
from kombu.exceptions import OperationalError

from billing_site.errors import DomainError
from billing_site.jobs import queue_task
from billing_site.schedules import PERIODIC_TASKS, describe_crontab
from seats.audit import audit_record

SWEEP = "dunning.sweep"
CHARGE_RECURRING = "dunning.charge_recurring"
# the jobs that take a business date and a dry-run flag
DATED_JOBS = {SWEEP, CHARGE_RECURRING}

# What each job does, in words ops read (the schedule names of `PERIODIC_TASKS` are the beat
# rows' names, not translated); a task without an entry here shows its schedule name.
JOB_DESCRIPTIONS = {
    "dunning.sweep": gettext_lazy(
        "Dunning sweep: record phases (grace, blocked, suspended), send the dunning e-mails, "
        "pause or resume automations, delete unpaid trial accounts"),
    "dunning.send_notices": gettext_lazy("Send dunning e-mails left unsent"),
    "dunning.charge_recurring": gettext_lazy(
        "Recurring card charges: order and charge the renewals of accounts with recurring "
        "payments on, retry declined cards"),
    "dunning.invoice_contracts": gettext_lazy(
        "Issue this month's VAT invoices of contract accounts (confirmed seats, add-on packs); "
        "accounts already invoiced are left alone"),
    "seats.apply_scheduled_member_changes": gettext_lazy(
        "Apply scheduled member suspensions and deletions"),
    "plans.refresh_orders": gettext_lazy("Close pending orders that can no longer be paid"),
    "payments.retry_events": gettext_lazy(
        "Retry failed Stripe events and reconcile pending payments"),
    "invoices.render_pending_documents": gettext_lazy(
        "Render and e-mail the PDFs of documents waiting for it"),
    "invoices.fetch_nbp_rates": gettext_lazy(
        "Fetch NBP exchange rates and issue the documents waiting for them"),
    "invoices.recheck_pending_vat_ids": gettext_lazy(
        "Re-check the VAT ids VIES could not confirm"),
    "invoices.ksef_sync": gettext_lazy(
        "Send issued invoices to KSeF and record their KSeF numbers, rejections and UPOs"),
    # support_plans' jobs (the app sits beside dunning: named by string, not imported)
    "support_plans.apply_scheduled": gettext_lazy(
        "Support plans: apply scheduled plan changes and end cancelled contracts"),
    "support_plans.mark_breached": gettext_lazy(
        "Support plans: mark tickets past their reaction deadline as breached"),
    "support_plans.settle": gettext_lazy(
        "Support plans: last month's invoices and SLA reports"),
    "billing_site.heartbeat": gettext_lazy(
        "Heartbeat: proves the broker, the worker and the result store work"),
    "billing_site.drain_outbox": gettext_lazy(
        "Hand the broker the work it could not take when it was written (the outbox)"),
}


@dataclass(frozen=True)
class Job:
    task: str  # the Celery task name
    description: str
    schedule: str  # when it runs, in words of the active language ("" when not scheduled)
    takes_as_of: bool = False
    takes_dry_run: bool = False
    registered: bool = True  # False: no worker code for it in this deployment yet


def _registered_tasks(names) -> set:
    """The names among `names` that Celery knows (autodiscovering the apps' tasks once, as the
    worker does at start, when one is missing: see `billing_site.jobs`)."""
    app = current_app
    if any(name not in app.tasks for name in names):
        app.autodiscover_tasks(force=True)
    return {name for name in names if name in app.tasks}


def jobs() -> list[Job]:
    """The jobs ops can run now, in the order of the schedule, the sweep first."""
    schedules: dict[str, str] = {}
    crontabs: dict[str, dict] = {}
    for schedule, (task, crontab) in PERIODIC_TASKS.items():
        schedules.setdefault(task, schedule)
        crontabs.setdefault(task, crontab)
    names = [SWEEP, *(name for name in schedules if name != SWEEP)]
    registered = _registered_tasks(names)
    return [
        Job(task=name, description=str(JOB_DESCRIPTIONS.get(name, schedules.get(name, name))),
            schedule=describe_crontab(crontabs[name]) if name in crontabs else "",
            takes_as_of=name in DATED_JOBS,
            takes_dry_run=name in DATED_JOBS, registered=name in registered)
        for name in names
    ]


def job_named(task: str) -> Job | None:
    return next((job for job in jobs() if job.task == task), None)


def last_results(task_names) -> dict[str, TaskResult]:
    """The latest result row of each of `task_names` (two queries)."""
    latest = (TaskResult.objects.filter(task_name__in=list(task_names))
              .values("task_name").annotate(last=Max("id")).order_by())
    rows = TaskResult.objects.in_bulk([row["last"] for row in latest])
    return {row.task_name: row for row in rows.values()}


def recent_results(task_names, *, limit=20) -> list[TaskResult]:
    """The latest `limit` runs of the jobs (by hand or by beat), newest first."""
    return list(TaskResult.objects.filter(task_name__in=list(task_names))
                .order_by("-date_created", "-id")[:limit])


_repr = Repr()  # as Celery writes `argsrepr` / `kwargsrepr` (a bounded repr)
_repr.maxstring = _repr.maxother = 1024


def job_run(*, job: Job, as_of: date | None = None, dry_run: bool = False,
            actor) -> TaskResult:
    """Queue `job` now (the sweep for `as_of`, default today, optionally as a dry run) and return
    its result row. Refuses (DomainError) a job with no task code in this deployment and a
    broker that cannot take the message."""
    if not job.registered:
        raise DomainError(_("The job %(task)s has no task in this deployment yet.")
                          % {"task": job.task})
    kwargs: dict = {}
    if job.takes_as_of and as_of is not None:
        kwargs["as_of"] = as_of.isoformat()
    if job.takes_dry_run and dry_run:
        kwargs["dry_run"] = True
    try:
        result = queue_task(job.task, **kwargs)
    except OperationalError as exc:
        raise DomainError(
            _("The job could not be queued: the task broker did not answer (%(error)s). "
              "Try again in a moment.") % {"error": exc}, code="broker_unavailable",
            status=503) from exc
    row = _result_row(result, job.task, kwargs)
    audit_record(account=None, actor=actor, action="job.run_now", target=row,
                 after={"task": job.task, "kwargs": kwargs, "task_id": row.task_id})
    return row


def _result_row(result, task: str, kwargs: dict) -> TaskResult:
    backend = current_app.backend
    request = SimpleNamespace(task=task, args=(), kwargs=kwargs, argsrepr="()",
                              kwargsrepr=_repr.repr(kwargs), hostname="", children=[])
    if isinstance(result, EagerResult):
        backend.store_result(result.id, result.result, result.state,
                             traceback=result.traceback, request=request)
        return TaskResult.objects.get(task_id=result.id)
    encode = backend.encode_content
    row, _created = TaskResult.objects.get_or_create(
        task_id=result.id,
        defaults={"status": states.PENDING, "task_name": task,
                  "task_args": encode(request.argsrepr)[2],
                  "task_kwargs": encode(request.kwargsrepr)[2]},
    )
    return row
