"""Celery tasks: PDF rendering and e-mailing of documents."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from invoices.services import rendering

__all__ = ["render_document", "render_pending_documents"]


# The database gone for a moment (restarted, connection dropped): the task runs again later, and
# does nothing twice (it compares the stored PDF's fingerprint, and `emailed_at` is set under the
# row lock in the transaction that sends).
DATABASE_DOWN = (OperationalError, InterfaceError)


@shared_task(name="invoices.render_document", acks_late=True, reject_on_worker_lost=True,
             autoretry_for=DATABASE_DOWN, retry_backoff=5, retry_backoff_max=300,
             retry_jitter=True, max_retries=10)
def render_document(document_id):
    """Render the document's PDF if its content changed, store it, and e-mail it once. A worker
    killed meanwhile leaves the message to the next worker (acks late), which finishes the
    work without a second e-mail (issue 13, item 14)."""
    return rendering.document_render_and_send(document_id)


@shared_task(name="invoices.render_pending_documents", acks_late=True,
             reject_on_worker_lost=True)
def render_pending_documents():
    """Periodic sweep: documents still marked `needs_render` (a lost task, a failed e-mail)."""
    return rendering.render_pending_documents()
