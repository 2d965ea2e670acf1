"""The PDF of a document (SPEC §7): real PDFs rendered with WeasyPrint, read back as text with
poppler's pdftotext (and per page with pypdf), one page turned into a PNG for a person to look at.

Amounts below are worked out by hand from the lines (SPEC §2: lines rounded once, VAT once per
rate on that rate's net), written the Polish way the PDF prints them (1 234,56).
"""

import http.server
import io
import subprocess
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image
from pypdf import PdfReader

from invoices import pdf
from invoices.models import DocumentKind
from invoices.tests.factories import Line, buyer_data, issued_document, many_lines

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = pytest.mark.django_db


def page_texts(content: bytes) -> list[str]:
    """Each page's text in reading (document) order, whitespace and no-break spaces folded."""
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().replace("\u00a0", " ").split())
            for page in reader.pages]


def pdf_text(content: bytes) -> str:
    return " ".join(page_texts(content))


@pytest.fixture
def acme(make_account):
    return make_account("Acme")[0]


def ordering_party():
    return {"kind": "company", "name": "Acme Holding S.A.", "street": "ul. Grzybowska 2",
            "postal_code": "00-131", "city": "Warszawa", "country": "PL",
            "tax_id": "5270103391", "invoice_email": ""}


# --- a VAT invoice in PLN -----------------------------------------------------------------------


def test_invoice_pdf_shows_every_mandatory_field_lines_totals_and_the_note(acme):
    document = issued_document(
        acme,
        lines=[Line("Base — 3 stanowiska / seats", 3, "59.00", date(2026, 11, 16),
                    date(2026, 12, 31)),
               Line("Chatbot — pakiet / pack", 1, "49.99")],
        buyer=buyer_data("Zażółć Gęślą Jaźń Sp. z o.o.", tax_id="5252344078",
                         street="ul. Żurawia 6/12", postal_code="00-503", city="Łódź"),
        ordering_party=ordering_party(),
        note="Zamówienie ZK/2026/117 — proszę o kontakt z księgowością.",
    )

    text = pdf_text(pdf.document_pdf(document))

    assert "Faktura VAT / VAT invoice" in text
    assert "Nr / No. FV/2026/11/0001" in text
    assert "Data wystawienia / Issue date 2026-11-16" in text
    assert "Data sprzedaży / Date of sale 2026-11-16" in text
    assert "Termin płatności / Payment due 2026-11-30" in text
    # seller, from the snapshot (settings.SELLER)
    assert "Sprzedawca / Seller" in text
    assert "Seat Billing Sp. z o.o." in text
    assert "ul. Przykładowa 1" in text and "00-001 Warszawa, Poland" in text
    assert "NIP / Tax ID: 5260250995" in text
    # buyer, Polish letters intact
    assert "Nabywca / Buyer" in text
    assert "Zażółć Gęślą Jaźń Sp. z o.o." in text
    assert "ul. Żurawia 6/12" in text and "00-503 Łódź, Poland" in text
    assert "NIP / Tax ID: 5252344078" in text
    assert "Zamawiający / Ordering party" in text and "Acme Holding S.A." in text
    # lines: 3 × 59,00 = 177,00 and 1 × 49,99
    for label in ("Lp./No.", "Nazwa / Description", "Ilość / Qty", "Cena netto / Unit net price",
                  "Wartość netto / Net", "Stawka VAT / VAT rate"):
        assert label in text
    assert "1 Base — 3 stanowiska / seats" in text
    assert "Okres / Period: 2026-11-16 – 2026-12-31 3 szt. 59,00 177,00 23%" in text
    assert "2 Chatbot — pakiet / pack 1 szt. 49,99 49,99 23%" in text
    # totals per rate: net 226,99; VAT 23 % of it = 52,2077 → 52,21; gross 279,20
    for label in ("Kwota VAT / VAT", "Brutto / Gross"):
        assert label in text
    assert "23% 226,99 52,21 279,20" in text
    assert "Razem / Total 226,99 52,21 279,20" in text
    assert "Do zapłaty / Amount due: 279,20 PLN" in text
    assert "Uwagi / Note" in text
    assert "Zamówienie ZK/2026/117 — proszę o kontakt z księgowością." in text
    # nothing of the other kinds
    assert "odwrotne obciążenie" not in text
    assert "VAT w PLN" not in text
    assert "Nie jest dokumentem księgowym" not in text


def test_pdf_embeds_the_local_dejavu_font_for_polish_glyphs(acme):
    document = issued_document(acme, buyer=buyer_data("Gęś i Żółw Sp. z o.o."))

    reader = PdfReader(io.BytesIO(pdf.document_pdf(document)))
    fonts = {str(font.get_object()["/BaseFont"])
             for font in reader.pages[0]["/Resources"]["/Font"].values()}

    assert fonts and all("+DejaVu-Sans" in name for name in fonts), fonts


def test_amounts_over_a_thousand_are_grouped_with_spaces(acme):
    document = issued_document(acme, lines=[Line("Base — 25 stanowisk / seats", 25, "59.00")])

    text = pdf_text(pdf.document_pdf(document))

    # 25 × 59 = 1 475,00; VAT 339,25; gross 1 814,25
    assert "23% 1 475,00 339,25 1 814,25" in text
    assert "Do zapłaty / Amount due: 1 814,25 PLN" in text


# --- VAT treatments and currencies --------------------------------------------------------------


def test_reverse_charge_invoice_carries_the_annotation_and_no_polish_vat(acme):
    document = issued_document(
        acme, currency="EUR", vat_code="reverse_charge",
        buyer=buyer_data("Globex GmbH", country="DE", tax_id="DE136695976",
                         street="Friedrichstraße 10", postal_code="10117", city="Berlin"),
        lines=[Line("Base — seat", 2, "14.00")],
    )

    text = pdf_text(pdf.document_pdf(document))

    assert "odwrotne obciążenie / reverse charge" in text
    assert "2 szt. 14,00 28,00 oo" in text
    assert "oo 28,00 0,00 28,00" in text
    assert "10117 Berlin, Germany" in text and "NIP / Tax ID: DE136695976" in text
    assert "Do zapłaty / Amount due: 28,00 EUR" in text
    assert "VAT w PLN" not in text  # no VAT, so no PLN figure


def test_outside_the_eu_the_rate_is_np(acme):
    document = issued_document(
        acme, currency="USD", vat_code="np",
        buyer=buyer_data("Initech Inc.", country="US", tax_id="", street="1 Main St",
                         postal_code="10001", city="New York"),
        lines=[Line("Base — seat", 1, "16.00")],
    )

    text = pdf_text(pdf.document_pdf(document))

    assert "1 szt. 16,00 16,00 np." in text
    assert "np. — nie podlega opodatkowaniu VAT w Polsce / not subject to Polish VAT" in text
    assert "10001 New York, United States of America" in text
    assert "odwrotne obciążenie" not in text
    assert "VAT w PLN" not in text


def test_eur_invoice_with_vat_shows_the_vat_in_pln_at_the_nbp_rate(acme):
    document = issued_document(
        acme, currency="EUR",
        buyer=buyer_data("Jan Kowalski", kind="person", country="FR", tax_id="",
                         street="5 rue de Rivoli", postal_code="75001", city="Paris"),
        lines=[Line("Base — seat", 1, "14.00")],
        exchange_rate="4.2595", exchange_rate_date=date(2026, 11, 13),
        exchange_rate_table="221/A/NBP/2026",
    )
    # VAT 23 % of 14,00 = 3,22 EUR; × 4,2595 = 13,71559 → 13,72 PLN
    assert document.vat_pln == Decimal("13.72")

    text = pdf_text(pdf.document_pdf(document))

    assert "VAT w PLN / VAT in PLN: 13,72 PLN" in text
    assert "Kurs średni NBP / NBP mid rate: 1 EUR = 4,2595 PLN" in text
    assert "Tabela / Table 221/A/NBP/2026 z dnia / of 2026-11-13" in text
    assert "23% 14,00 3,22 17,22 13,72" in text
    assert "Do zapłaty / Amount due: 17,22 EUR" in text


# --- pro-forma ----------------------------------------------------------------------------------


def test_proforma_is_marked_not_a_tax_document_and_shows_the_bank_transfer(acme):
    document = issued_document(acme, kind=DocumentKind.PROFORMA,
                               lines=[Line("Base — seat", 1, "59.00")])

    text = pdf_text(pdf.document_pdf(document))

    assert "Faktura pro forma / Pro-forma invoice" in text
    assert "Nr / No. PF/2026/11/0001" in text
    assert "Nie jest dokumentem księgowym / Not a tax document" in text
    assert f"Bank / Bank {settings.SELLER['bank_name']}" in text
    assert f"Rachunek bankowy / Bank account {settings.SELLER['bank_account']}" in text
    assert "Tytuł przelewu / Transfer title PF/2026/11/0001" in text
    assert "Kwota / Amount 72,57 PLN" in text
    assert "Faktura VAT / VAT invoice" not in text


# --- corrective invoices ------------------------------------------------------------------------


def test_buyer_data_correction_names_the_corrected_invoice_the_reason_and_both_buyers(acme):
    original = issued_document(acme, buyer=buyer_data("Acme Stara Nazwa Sp. z o.o."),
                               issue_date=date(2026, 11, 3))
    correction = issued_document(
        acme, kind=DocumentKind.CORRECTION, corrects=original,
        buyer=buyer_data("Acme Nowa Nazwa Sp. z o.o.", street="ul. Nowa 1"),
        correction_reason="Korekta danych nabywcy (buyer data correction)",
        issue_date=date(2026, 11, 16), due_days=None,
    )

    text = pdf_text(pdf.document_pdf(correction))

    assert "Faktura korygująca / Corrective invoice" in text
    assert "Nr / No. KOR/2026/11/0001" in text
    assert ("Korygowany dokument / Corrected document: Faktura VAT / VAT invoice "
            "FV/2026/11/0001 z dnia / of 2026-11-03") in text
    assert ("Przyczyna korekty / Reason for correction: Korekta danych nabywcy "
            "(buyer data correction)") in text
    assert "Nabywca / Buyer Acme Nowa Nazwa Sp. z o.o." in text
    assert "Nabywca przed korektą / Buyer before correction Acme Stara Nazwa Sp. z o.o." in text
    assert "Przed korektą / Before correction" in text
    assert "Po korekcie / After correction" in text
    assert "Różnica / Difference" in text
    assert "Korekta / Correction 0,00 0,00 0,00" in text
    assert "Do zapłaty / Amount due: 0,00 PLN" in text
    assert "Rachunek bankowy" not in text


def test_refund_correction_without_lines_shows_the_amount_to_refund(acme):
    original = issued_document(acme, lines=[Line("Base — seat", 1, "59.00")])
    refund = issued_document(acme, kind=DocumentKind.CORRECTION, corrects=original, lines=[],
                             correction_reason="Zwrot / refund", due_days=None)

    text = pdf_text(pdf.document_pdf(refund))

    assert "Brak pozycji / No lines" in text
    assert "Korekta / Correction -59,00 -13,57 -72,57" in text
    assert "Do zwrotu / Amount to refund: 72,57 PLN" in text


# --- long documents -----------------------------------------------------------------------------


def test_a_three_page_invoice_repeats_the_table_header_on_every_page(acme):
    document = issued_document(acme, lines=many_lines(40), note="Ostatnia strona / last page")

    content = pdf.document_pdf(document)
    pages = page_texts(content)

    assert len(pages) == 3
    for number, text in enumerate(pages, start=1):
        assert "Lp./No." in text and "Nazwa / Description" in text, f"no header on page {number}"
        assert f"Strona / Page {number} / 3" in text
        assert "FV/2026/11/0001" in text  # the number in every page's footer
    everything = " ".join(pages)
    for i in range(1, 41):
        assert f"seat #{i} (user{i}@acme.example)" in everything
    assert "seat #1 (" in pages[0] and "seat #40 (" in pages[2]
    # 40 × 59,00 = 2 360,00; VAT 542,80; gross 2 902,80
    assert "Razem / Total 2 360,00 542,80 2 902,80" in pages[2]
    assert "Do zapłaty / Amount due: 2 902,80 PLN" in pages[2]
    assert "Ostatnia strona / last page" in pages[2]


# --- what a person sees -------------------------------------------------------------------------


def test_first_page_as_png_for_a_visual_check(acme):
    document = issued_document(
        acme, currency="EUR",
        lines=[Line("Base — 3 stanowiska / seats", 3, "14.00", date(2026, 11, 16),
                    date(2026, 12, 31)),
               Line("Chatbot — pakiet / pack", 1, "12.00")],
        buyer=buyer_data("Zażółć Gęślą Jaźń S.A.", country="FR", tax_id="",
                         street="5 rue de Rivoli", postal_code="75001", city="Paris"),
        ordering_party=ordering_party(), note="Zamówienie ZK/2026/117.",
        exchange_rate="4.2595", exchange_rate_date=date(2026, 11, 13),
        exchange_rate_table="221/A/NBP/2026",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / "invoice.pdf"
    source.write_bytes(pdf.document_pdf(document))

    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(ARTIFACTS / "invoice-page1")], check=True)

    image = Image.open(ARTIFACTS / "invoice-page1.png").convert("L")
    width, height = image.size  # A4 (210 × 297 mm) at 80 dpi: about 661 × 935 pixels
    assert abs(width - 661) <= 2 and abs(height - 935) <= 2
    dark = sum(image.histogram()[:128])  # pixels darker than mid-grey
    assert dark > image.size[0] * image.size[1] * 0.01  # text on the page, not a blank sheet


# --- nothing remote -----------------------------------------------------------------------------


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"p { color: red }")

    def log_message(self, *args):
        pass


def test_weasyprint_fetches_nothing_from_the_network():
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        content = pdf.html_to_pdf(
            f'<link rel="stylesheet" href="{base}/remote.css">'
            f'<style>@import url("{base}/imported.css");'
            f'@font-face {{ font-family: X; src: url("{base}/font.woff2") }}</style>'
            f'<p>Hello <img src="{base}/logo.png"></p>'
        )
    finally:
        server.shutdown()
        server.server_close()

    assert _CountingHandler.requests == []
    assert "Hello" in pdf_text(content)


def test_the_url_fetcher_refuses_remote_urls_and_files_outside_its_folders():
    fetcher = pdf.url_fetcher()

    for url in ("http://example.com/a.css", "https://example.com/font.woff2",
                "ftp://example.com/x", "file://example.com/etc/passwd", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    css = fetcher.fetch(pdf.CSS_PATH.as_uri())
    assert b"@page" in css.read()
    css.close()
