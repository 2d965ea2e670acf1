"""Getting a Celery worker process ready to render document PDFs (issue 16): one sample
document rendered (Pango, fontconfig, the fonts, the stylesheet, the template, the SVG code),
then the garbage collector frozen. Moved out of invoices/pdf.py, which names it for its callers."""

import gc

from .ksef.verification import qr_svg
from .pdf import LAYOUT_VERSION, TITLES, money, render_document_pdf

# A sample with every part a one-page invoice has (three parties, a line with a period, VAT in PLN,
# bank transfer, note, KSeF code): rendering it loads Pango, fontconfig, the fonts, the stylesheet,
# the template and the SVG code. Made-up values; nothing of it is stored.
_SAMPLE_PARTY = {"name": "Przykład Sp. z o.o.", "street": "ul. Próbna 1", "postal_code": "00-001",
                 "city": "Warszawa", "country": "PL", "country_name": "Poland",
                 "tax_id": "5260250995"}
_SAMPLE_URL = "https://qr.ksef.mf.gov.pl/invoice/5260250995/16-11-2026/" + "A" * 43


def _sample_data() -> dict:
    line = {"position": "1", "description": "Przykład / Sample",
            "period": "2026-11-16 – 2026-12-31", "quantity": "3", "unit": "szt.",
            "unit_price": money(14), "net": money(42), "vat_rate": "23%"}
    totals = {"net": money(42), "vat": money("9.66"), "gross": money("51.66"),
              "vat_pln": money("41.15")}
    return {
        "layout": LAYOUT_VERSION, "kind": "invoice", "title_pl": TITLES["invoice"][0],
        "title_en": TITLES["invoice"][1], "number": "FV/2026/11/0001",
        "issue_date": "2026-11-16", "sale_date": "2026-11-16", "due_date": "2026-11-30",
        "place_of_issue": "Warszawa", "currency": "EUR", "seller": _SAMPLE_PARTY,
        "buyer": _SAMPLE_PARTY, "ordering_party": _SAMPLE_PARTY, "vat_code": "23",
        "lines": [line], "vat_totals": [{"vat_rate": "23%", **totals}], **totals,
        "with_pln": True, "exchange_rate": "4,2595", "exchange_rate_date": "2026-11-13",
        "exchange_rate_table": "221/A/NBP/2026", "legend_reverse_charge": False,
        "legend_np": False, "correction": None, "note": "Przykład / Sample",
        "bank": {"name": "Bank", "account": "PL61 1090 1014 0000 0712 1981 2874"},
        "transfer_title": "FV/2026/11/0001", "refund": False, "amount_due": money("51.66"),
        "ksef": {"number": "5260250995-20261116-0100001AF629-AF", "url": _SAMPLE_URL,
                 "qr_svg": qr_svg(_SAMPLE_URL)},
    }


def warm_up() -> int:
    """Get a fresh process ready to render: one sample document, then the garbage collector frozen.

    Called once per Celery worker process (`worker_process_init`, invoices.tasks.rendering), so
    that no customer's document pays the first render's 0.6–2.4 s (Pango, fontconfig, the fonts,
    the stylesheet). Then everything alive — Django, WeasyPrint, the parsed stylesheet, the font
    configuration — goes to the permanent generation (`gc.freeze()`): full collections no longer
    walk those objects again and again (one every ~7 renders cost 70–100 ms, the whole p95 tail).
    Returns the sample PDF's size in bytes."""
    content = render_document_pdf(_sample_data())
    gc.collect()
    gc.freeze()
    return len(content)
