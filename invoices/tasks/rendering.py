"""Celery tasks: PDF rendering and e-mailing of documents."""

from celery import shared_task

__all__ = ["render_document"]


@shared_task(name="invoices.render_document", acks_late=True)
def render_document(document_id):
    """Render the document's PDF if its content changed, store it, and e-mail it once."""
    from invoices.services import rendering

    return rendering.document_render_and_send(document_id)
