"""Celery tasks: PDF rendering and e-mailing of documents."""

from celery import shared_task

from invoices.services import rendering

__all__ = ["render_document", "render_pending_documents"]


@shared_task(name="invoices.render_document", acks_late=True)
def render_document(document_id):
    """Render the document's PDF if its content changed, store it, and e-mail it once."""
    return rendering.document_render_and_send(document_id)


@shared_task(name="invoices.render_pending_documents", acks_late=True)
def render_pending_documents():
    """Periodic sweep: documents still marked `needs_render` (a lost task, a failed e-mail)."""
    return rendering.render_pending_documents()
