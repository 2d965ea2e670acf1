"""Benchmark: PDF rendering of documents with WeasyPrint (issue 4).

Run from the project root: `.venv/bin/python -m bench bench_pdf` (defaults) or
`.venv/bin/python bench/bench_pdf.py [--repeat N] [--batch N]`.

- one page: a typical VAT invoice (two lines, ordering party, note, EUR with VAT in PLN);
- three pages: the same with 40 seat lines (the table header repeats on each page);
- batch: `--batch` (default 1 000) one-page invoices rendered one after the other in this
  process, as the worker does it: content → fingerprint → PDF → file (a temporary folder stands
  in for the storage; no database: the documents are unsaved model instances).

Prints the best of `--repeat` for the single documents, the batch's total seconds and ms per
document, and the process's peak memory. Exits 1 when a one-page render is over 300 ms. Not part
of the test suite: timings depend on the machine (see docs/benchmarks.md).
"""

import argparse
import io
import os
import resource
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from invoices import pdf  # noqa: E402
from invoices.models import Document, DocumentLine, DocumentVatTotal  # noqa: E402
from invoices.services.rendering import _fingerprint  # noqa: E402

BUDGET_MS = 300.0
CENT = Decimal("0.01")
RATE = Decimal("4.2595")


def invoice(number, lines):
    """An unsaved EUR invoice with VAT (23 %) and its lines and totals, as issuing stores it."""
    net = sum((line.net for line in lines), Decimal("0.00"))
    vat = (net * Decimal("0.23")).quantize(CENT)
    vat_pln = (vat * RATE).quantize(CENT)
    document = Document(
        kind="invoice", status="issued", number=number, issue_date=date(2026, 11, 16),
        sale_date=date(2026, 11, 16), due_date=date(2026, 11, 30), currency="EUR",
        seller=dict(settings.SELLER),
        buyer={"kind": "company", "name": "Zażółć Gęślą Jaźń S.A.", "street": "5 rue de Rivoli",
               "postal_code": "75001", "city": "Paris", "country": "FR", "tax_id": "",
               "invoice_email": "faktury@example.fr"},
        ordering_party={"name": "Acme Holding S.A.", "street": "ul. Grzybowska 2",
                        "postal_code": "00-131", "city": "Warszawa", "country": "PL",
                        "tax_id": "5270103391"},
        vat_code="23", net=net, vat=vat, gross=net + vat, vat_pln=vat_pln, exchange_rate=RATE,
        exchange_rate_date=date(2026, 11, 13), exchange_rate_table="221/A/NBP/2026",
        note="Zamówienie ZK/2026/117.",
    )
    totals = [DocumentVatTotal(vat_code="23", vat_rate=Decimal("23"), net=net, vat=vat,
                               gross=net + vat, vat_pln=vat_pln)]
    return document, lines, totals


def line(position, description, quantity, price, period=True):
    quantity, price = Decimal(quantity), Decimal(price)
    return DocumentLine(
        position=position, description=description,
        period_start=date(2026, 11, 16) if period else None,
        period_end=date(2026, 12, 31) if period else None, quantity=quantity, unit="szt.",
        unit_price=price, net=(quantity * price).quantize(CENT), vat_rate=Decimal("23"),
        vat_code="23",
    )


def one_page(number="FV/2026/11/0001"):
    return invoice(number, [line(1, "Base — 3 stanowiska / seats", 3, "14.00"),
                            line(2, "Chatbot — pakiet / pack", 1, "12.00", period=False)])


def three_pages():
    return invoice("FV/2026/11/0002", [
        line(i, f"Base — stanowisko / seat #{i} (user{i}@acme.example)", 1, "14.00")
        for i in range(1, 41)
    ])


def render(document, lines, totals):
    return pdf.document_pdf(document, lines=lines, vat_totals=totals)


def page_count(content):
    from pypdf import PdfReader  # a test dependency; only used to label the output

    return len(PdfReader(io.BytesIO(content)).pages)


def best_ms(make, repeat):
    """(best, median) in ms of `repeat` renders, and the PDF's page count."""
    document, lines, totals = make()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        content = render(document, lines, totals)
        times.append((time.perf_counter() - start) * 1000)
    return min(times), sorted(times)[len(times) // 2], page_count(content)


def batch(count):
    """`count` one-page invoices, each: content → fingerprint → PDF → file."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        for i in range(1, count + 1):
            document, lines, totals = one_page(f"FV/2026/11/{i:04d}")
            data = pdf.document_pdf_data(document, lines=lines, vat_totals=totals)
            _fingerprint(data)
            content = pdf.render_document_pdf(data)
            (Path(folder) / f"FV-2026-11-{i:04d}.pdf").write_bytes(content)
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per single document")
    parser.add_argument("--batch", type=int, default=1000, help="documents in the batch")
    options = parser.parse_args()

    start = time.perf_counter()
    render(*one_page())  # the first render loads Pango, fontconfig and the stylesheet
    warm_up_ms = (time.perf_counter() - start) * 1000
    print(f"first render in the process (fonts, stylesheet): {warm_up_ms:.0f} ms")

    failed = False
    for name, make in (("one page", one_page), ("three pages", three_pages)):
        best, median, pages = best_ms(make, options.repeat)
        over = name == "one page" and best >= BUDGET_MS
        failed |= over
        budget = f" (budget {BUDGET_MS:.0f} ms: {'OVER BUDGET' if over else 'ok'})" \
            if name == "one page" else ""
        print(f"{name:12} ({pages} p.) best {best:6.1f} ms, median {median:6.1f} ms of "
              f"{options.repeat}{budget}")

    if options.batch:
        seconds = batch(options.batch)
        print(f"batch of {options.batch} one-page invoices, sequential: {seconds:.1f} s "
              f"({seconds / options.batch * 1000:.1f} ms per document)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the process: {peak_mb:.0f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
