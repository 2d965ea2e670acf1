"""Queuing Celery tasks by name, so that a service never imports the tasks module that calls it.

An app's `tasks` import its services at module top (tasks are thin: load, call a service, retry);
a service that must queue a task does it by name instead of importing the task, so no import
cycle is dodged with an import inside a function. Work that a business change needs (a PDF after
issuing, an e-mail after an invitation, a VIES re-check) goes through the outbox
(`billing_site.outbox.enqueue`), which survives a broker that is down; `queue_task` publishes at
once and raises when the broker is down — for the ops "run now" button, which says so (503).

Queuing by name needs the task registered in this process: the worker imports every app's
`tasks` at start, but a web process may not have, and Celery's `send_task` fallback for an unknown
name would ignore `task_always_eager` (the test suite's inline mode). So the first time a name is
unknown, Celery's own autodiscovery (the worker's) registers every app's tasks.
"""

from celery import current_app


def queue_task(name: str, *args, countdown: int | None = None, **kwargs):
    """Queue the task registered as `name`: `task.delay(*args, **kwargs)`, or
    `task.apply_async(..., countdown=countdown)` when a delay in seconds is given. Returns the
    task's AsyncResult (an EagerResult when tasks run inline)."""
    app = current_app
    if name not in app.tasks:
        app.autodiscover_tasks(force=True)
    task = app.tasks[name]
    if countdown is None:
        return task.delay(*args, **kwargs)
    return task.apply_async(args, kwargs, countdown=countdown)
