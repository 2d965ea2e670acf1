"""Issue 16 renders document PDFs leaner — the documents' own small user-agent stylesheet
(pdf-ua.css) instead of WeasyPrint's full HTML one, and the template's formatting whitespace
between tags taken out — and that must change nothing a PDF says: the same text in the same
order, the same links. Each case is compared with the plain way (full user-agent stylesheet,
template output as it is), for every branch of the template: an invoice accepted by KSeF, a
pro-forma, a corrective invoice with the buyer's data changed, a paid invoice, a refund."""

import copy
import io

import pytest
from django.template.loader import render_to_string
from pypdf import PdfReader

from invoices import pdf


def _text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " | ".join(" ".join(page.extract_text().replace("\u00a0", " ").split())
                      for page in reader.pages)


def _links(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [annotation.get_object()["/A"]["/URI"]
            for page in reader.pages for annotation in page.get("/Annots", [])
            if "/A" in annotation.get_object()]


def _plain(data: dict) -> bytes:
    """The way before issue 16: WeasyPrint's full user-agent stylesheet, whitespace kept."""
    return pdf.html_to_pdf(render_to_string(pdf.TEMPLATE, {"doc": data}))


def _invoice_in_ksef():
    return pdf._sample_data()


def _proforma():
    data = pdf._sample_data()
    data.update(kind="proforma", title_pl=pdf.TITLES["proforma"][0],
                title_en=pdf.TITLES["proforma"][1], number="PF/2026/11/0007",
                with_pln=False, vat_pln="", ordering_party=None, note="")
    del data["ksef"]
    return data


def _correction():
    data = pdf._sample_data()
    del data["ksef"]
    before = {"lines": copy.deepcopy(data["lines"]),
              "vat_totals": copy.deepcopy(data["vat_totals"]), "net": data["net"],
              "vat": data["vat"], "gross": data["gross"], "vat_pln": data["vat_pln"]}
    zero = pdf.money(0)
    data.update(
        kind="correction", title_pl=pdf.TITLES["correction"][0],
        title_en=pdf.TITLES["correction"][1], number="KOR/2026/11/0002", bank=None,
        refund=False, amount_due=zero,
        correction={
            "corrects": {"number": "KOR/2026/11/0001", "issue_date": "2026-11-18",
                         "title_pl": pdf.TITLES["correction"][0],
                         "title_en": pdf.TITLES["correction"][1]},
            "original": {"number": "FV/2026/11/0001", "issue_date": "2026-11-16"},
            "reason": "Zmiana danych nabywcy / Buyer data changed",
            "before": before,
            "difference": {"vat_totals": [{"vat_rate": "23%", "net": zero, "vat": zero,
                                           "gross": zero, "vat_pln": zero}],
                           "net": zero, "vat": zero, "gross": zero, "vat_pln": zero},
            "buyer_before": dict(data["buyer"], name="Stara Nazwa Sp. z o.o."),
            "ordering_party_before": None,
        })
    return data


def _paid_invoice_with_legends():
    data = pdf._sample_data()
    del data["ksef"]
    data.update(paid=pdf.PAID_BY["card"], amount_due=pdf.money(0), bank=None,
                legend_reverse_charge=True, legend_np=True, note="Linia 1\nLinia 2 & <tag>")
    return data


def _refund():
    data = _correction()
    data.update(refund=True, amount_due=pdf.money("51.66"))
    return data


CASES = {"invoice in KSeF": _invoice_in_ksef, "pro-forma": _proforma, "correction": _correction,
         "paid, legends, note": _paid_invoice_with_legends, "refund": _refund}


@pytest.mark.parametrize("case", CASES)
def test_the_lean_rendering_says_what_the_plain_one_says(case):
    data = CASES[case]()

    lean, plain = pdf.render_document_pdf(data), _plain(data)

    assert _text(lean) == _text(plain)
    assert _links(lean) == _links(plain)
    assert data["number"] in _text(lean)


def test_the_verification_code_stays_a_link_to_ksef():
    data = _invoice_in_ksef()

    assert set(_links(pdf.render_document_pdf(data))) == {data["ksef"]["url"]}


def test_spaces_between_inline_elements_stay():
    correction = _text(pdf.render_document_pdf(_correction()))
    invoice = _text(pdf.render_document_pdf(_invoice_in_ksef()))

    assert "KOR/2026/11/0001 z dnia / of 2026-11-18" in correction
    assert "VAT w PLN / VAT in PLN: 41,15 PLN" in invoice
    assert "Kurs średni NBP / NBP mid rate: 1 EUR = 4,2595 PLN" in invoice


def test_only_whitespace_that_spans_a_line_break_between_two_tags_goes():
    html = "<p>a</p>\n   <p>b</p><span>c</span> <b>d</b>\n text <i>e</i>\t\n\t<i>f</i>"

    assert pdf._BETWEEN_LINES.sub("><", html) == (
        "<p>a</p><p>b</p><span>c</span> <b>d</b>\n text <i>e</i><i>f</i>")


def test_the_documents_user_agent_stylesheet_hides_the_head():
    data = _proforma()

    text = _text(pdf.render_document_pdf(data))

    # the <title> would otherwise be printed before the heading
    assert text.startswith("Faktura pro forma / Pro-forma invoice Nr / No. PF/2026/11/0007")
