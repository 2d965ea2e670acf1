"""Celery tasks: PDF rendering and e-mailing of documents."""

from celery import shared_task
from celery.signals import worker_process_init
from django.db import InterfaceError, OperationalError

from invoices import pdf
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


@worker_process_init.connect(dispatch_uid="invoices.pdf_warm_up", weak=False)
def warm_up_pdf_rendering(**kwargs):
    """Each worker process renders a sample PDF and freezes the garbage collector before it takes
    its first task (issue 16): the first customer does not wait for fonts and stylesheet, and
    full collections no longer walk everything loaded so far. Celery waits for this hook
    (`CELERY_WORKER_PROC_ALIVE_TIMEOUT`)."""
    pdf.warm_up()
