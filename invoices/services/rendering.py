"""PDF rendering, storage and e-mailing of documents (to be implemented)."""


def document_render_and_send(document_id):
    raise NotImplementedError
