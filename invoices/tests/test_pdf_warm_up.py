"""The PDF warm-up of a Celery worker process (issue 16): one sample render, then gc.freeze()."""

import gc

import pytest
from celery.signals import worker_process_init

from billing_site.celery import app as celery_app
from invoices import pdf


@pytest.fixture
def cold_process():
    """As a fresh worker process: no parsed stylesheet, nothing frozen; thawed afterwards."""
    pdf._stylesheet.cache_clear()
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_new_worker_process_renders_a_sample_and_freezes_the_garbage_collector(cold_process):
    assert gc.get_freeze_count() == 0
    assert pdf._stylesheet.cache_info().currsize == 0

    # a worker imports every app's tasks (autodiscovery), then Celery sends this signal in each
    # new pool process before its first task
    celery_app.loader.import_default_modules()
    worker_process_init.send(sender=None)

    assert pdf._stylesheet.cache_info().currsize == 1  # stylesheet and fonts loaded
    assert gc.get_freeze_count() > 0


def test_the_warm_up_sample_renders_one_page_with_its_ksef_code(cold_process):
    import io

    from pypdf import PdfReader

    data = pdf._sample_data()
    reader = PdfReader(io.BytesIO(pdf.render_document_pdf(data)))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert data["ksef"]["number"] in text and "FV/2026/11/0001" in text
