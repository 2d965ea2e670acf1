"""The KSeF number and the verification QR code (KOD I) on the PDF of an invoice KSeF accepted
(issue 15): the link of the Ministry's specification, the PDF data and fingerprint before and
after acceptance, what the rendered PDF shows, and the one re-render acceptance causes.

KsefSubmission rows are written here as the sending service leaves them (its transitions are
its own tests' business); acceptance in the last test goes through the service's own `_accept`,
the step `check_sent` takes when KSeF answers 200. The XML and its hash are the real ones:
`document_fa3_xml` of the document, hashed here with hashlib.
"""

import base64
import hashlib
import io
import re
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import segno
from django.template.loader import render_to_string
from PIL import Image
from pypdf import PdfReader

from invoices import pdf
from invoices.ksef import sending
from invoices.ksef.documents import document_fa3_xml
from invoices.ksef.models import KsefStatus, KsefSubmission
from invoices.ksef.verification import qr_svg, verification_url
from invoices.models import DocumentKind
from invoices.services import rendering
from invoices.tasks.rendering import render_document
from invoices.tests.factories import Line, buyer_data, issued_document, rendered

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ISSUED = date(2026, 12, 5)
QUEUED_AT = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
ACCEPTED_AT = datetime(2026, 12, 5, 9, 1, 30, tzinfo=UTC)
KSEF_NUMBER = "5260250995-20261205-0100001AF629-AF"
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def ksef_settings(settings):
    """No KSeF environment configured unless a test says so (the production QR base)."""
    settings.KSEF_API_URL = ""
    settings.KSEF_QR_URL = ""
    return settings


@pytest.fixture
def acme(make_account):
    return make_account("Acme")[0]


def b64url_sha256(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def submission_for(document, status, *, ksef_number=KSEF_NUMBER) -> KsefSubmission:
    """`document`'s submission in `status`, with the fields the model's constraints ask of it."""
    xml = document_fa3_xml(document)
    fields = {"xml": xml.decode("utf-8"),
              "invoice_hash": base64.b64encode(hashlib.sha256(xml).digest()).decode()}
    if status != KsefStatus.QUEUED:
        fields.update(session_reference="20261205-SO-2F7A1C9B3E-4D5E6F7A8B-9C",
                      invoice_reference="20261205-EE-1A2B3C4D5E-6F7A8B9C0D-1E",
                      sent_at=QUEUED_AT)
    if status == KsefStatus.ACCEPTED:
        fields.update(ksef_number=ksef_number, accepted_at=ACCEPTED_AT)
    if status == KsefStatus.REJECTED:
        fields.update(rejection_code=450, rejection_reason="Błąd weryfikacji semantyki")
    return KsefSubmission.objects.create(document=document, status=status, queued_at=QUEUED_AT,
                                         **fields)


def loaded(document):
    """The document as the render task reads it (with its submission, lines and totals)."""
    return rendering._load(document.pk)


def page_texts(content: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().replace("\u00a0", " ").split())
            for page in reader.pages]


def drawn_modules(svg: str) -> list[list[bool]]:
    """The dark modules an SVG in segno's path syntax draws, read back from the drawing: `M x y`
    (move to), `m dx dy` (move by), `h n` (a run of n dark modules, one module high, centred on
    y + .5)."""
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    grid = [[False] * size for _ in range(size)]
    [path] = [p for p in root.iter(f"{SVG_NS}path") if p.get("stroke") == "#000"]
    x = y = 0.0
    for op, first, second in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d")):
        if op == "M":
            x, y = float(first), float(second)
        elif op == "m":
            x, y = x + float(first), y + float(second)
        else:
            run = int(first)
            for column in range(int(x), int(x) + run):
                grid[int(y)][column] = True
            x += run
    return grid


# --- the link (KOD I) ---------------------------------------------------------------------------


def test_verification_url_is_the_kod_i_link_of_the_specification(acme, settings):
    document = issued_document(acme, issue_date=ISSUED)
    assert document.seller["tax_id"] == "5260250995"
    xml = document_fa3_xml(document)
    submission = submission_for(document, KsefStatus.ACCEPTED)
    digest = b64url_sha256(xml)
    assert len(digest) == 43 and "=" not in digest  # base64url of 32 bytes, no padding

    assert verification_url(submission) == (
        f"https://qr.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/{digest}")

    settings.KSEF_API_URL = "https://api-test.ksef.mf.gov.pl"
    assert verification_url(submission) == (
        f"https://qr-test.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/{digest}")
    settings.KSEF_API_URL = "https://api-demo.ksef.mf.gov.pl/v2"
    assert verification_url(submission) == (
        f"https://qr-demo.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/{digest}")
    settings.KSEF_API_URL = "https://api.ksef.mf.gov.pl"
    assert verification_url(submission) == (
        f"https://qr.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/{digest}")
    # a stand-in the library does not know: the production base (set KSEF_QR_URL for another)
    settings.KSEF_API_URL = "http://127.0.0.1:8765"
    assert verification_url(submission) == (
        f"https://qr.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/{digest}")
    settings.KSEF_QR_URL = "https://qr-test.ksef.mf.gov.pl/"
    assert verification_url(submission) == (
        f"https://qr-test.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/{digest}")


def test_the_nip_in_the_link_is_the_frozen_sellers_digits_only(acme):
    document = issued_document(acme, issue_date=ISSUED)
    submission = submission_for(document, KsefStatus.ACCEPTED)
    document.seller = {**document.seller, "tax_id": "PL 526-025-09-95"}  # never saved

    url = verification_url(submission)

    assert url.startswith("https://qr.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/")


def test_qr_svg_is_an_inline_svg_element_26_mm_square_at_level_m_or_better():
    url = "https://qr.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/" + "A" * 43
    svg = qr_svg(url)

    assert svg.startswith('<svg width="26mm" height="26mm" ')
    assert "<?xml" not in svg and svg.endswith("</svg>")
    code = segno.make(url, error="m", micro=False)
    assert code.designator == "6-M"  # a 100-character link: version 6 at level M
    expected = [[bool(v) for v in row] for row in code.matrix_iter(border=4)]
    assert drawn_modules(svg) == expected


# --- the PDF data and its fingerprint -----------------------------------------------------------


@pytest.mark.parametrize("status", [KsefStatus.QUEUED, KsefStatus.SENT, KsefStatus.REJECTED])
def test_a_document_not_accepted_has_no_ksef_data_and_keeps_its_fingerprint(acme, status):
    document = issued_document(acme, issue_date=ISSUED)
    before = rendering.document_fingerprint(loaded(document))

    submission_for(document, status)

    data = pdf.document_pdf_data(loaded(document))
    assert "ksef" not in data
    assert rendering.document_fingerprint(loaded(document)) == before
    html = render_to_string(pdf.TEMPLATE, {"doc": data})
    assert "<svg" not in html and "KSeF" not in html


def test_once_accepted_the_data_carry_number_link_and_qr_and_the_fingerprint_changes(acme):
    document = issued_document(acme, issue_date=ISSUED)
    before = rendering.document_fingerprint(loaded(document))
    xml = document_fa3_xml(document)
    submission_for(document, KsefStatus.ACCEPTED)

    data = pdf.document_pdf_data(loaded(document))

    url = f"https://qr.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/{b64url_sha256(xml)}"
    assert data["ksef"] == {"number": KSEF_NUMBER, "url": url, "qr_svg": qr_svg(url)}
    assert data["layout"] == pdf.LAYOUT_VERSION == "1"
    assert rendering.document_fingerprint(loaded(document)) != before


def test_the_pdf_data_of_a_loaded_document_take_no_further_query(acme,
                                                                 django_assert_num_queries):
    document = loaded(submission_for(issued_document(acme, issue_date=ISSUED),
                                     KsefStatus.ACCEPTED).document)
    with django_assert_num_queries(0):
        data = pdf.document_pdf_data(document)
    assert data["ksef"]["number"] == KSEF_NUMBER


# --- what the PDF shows -------------------------------------------------------------------------


def test_the_pdf_of_an_accepted_invoice_shows_the_number_under_the_qr_of_the_link(acme):
    document = issued_document(acme, issue_date=ISSUED)
    xml = document_fa3_xml(document)
    submission_for(document, KsefStatus.ACCEPTED)
    url = f"https://qr.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/{b64url_sha256(xml)}"
    data = pdf.document_pdf_data(loaded(document))

    html = render_to_string(pdf.TEMPLATE, {"doc": data})
    assert html.count("<svg ") == 1
    svg = html[html.index("<svg "):html.index("</svg>") + len("</svg>")]
    code = segno.make(url, error="m", micro=False)
    assert drawn_modules(svg) == [[bool(v) for v in row] for row in code.matrix_iter(border=4)]
    assert f'href="{url}"' in html  # the code is also a link in the PDF

    content = pdf.render_document_pdf(data)
    [first] = page_texts(content)
    assert f"Numer KSeF / KSeF number: {KSEF_NUMBER}" in first
    reader = PdfReader(io.BytesIO(content))
    links = {annotation.get_object()["/A"]["/URI"]
             for annotation in reader.pages[0].get("/Annots", [])}
    assert links == {url}


def test_the_qr_code_is_drawn_on_the_page(acme, tmp_path):
    """The page as pixels (300 dpi), read back as a scanner would see the code: in the header's
    right-hand corner, 41 × 41 modules of 26 / 49 mm whose centres are exactly segno's matrix
    of the link (no QR decoder is installed; this compares with an encoding of the expected
    link made here)."""
    document = issued_document(acme, issue_date=ISSUED)
    submission_for(document, KsefStatus.ACCEPTED)
    data = pdf.document_pdf_data(loaded(document))
    source = tmp_path / "accepted.pdf"
    source.write_bytes(pdf.render_document_pdf(data))
    subprocess.run(["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-singlefile",
                    "-gray", str(source), str(tmp_path / "page")], check=True)
    image = Image.open(tmp_path / "page.png").convert("L")
    px_per_mm = 300 / 25.4

    # the top-right corner of the page's content box (A4, margins 16 mm top, 15 mm right), right
    # of the dates and above the label: only the code's modules are dark there
    left, top = int(145 * px_per_mm), int(16 * px_per_mm)
    corner = image.crop((left, top, int(195 * px_per_mm), int(41 * px_per_mm)))
    dark = [(x, y) for y in range(corner.height) for x in range(corner.width)
            if corner.getpixel((x, y)) < 128]
    xs = [x for x, _y in dark]
    ys = [y for _x, y in dark]
    qr_left, qr_right = min(xs), max(xs)
    # 41 modules of 26 / 49 mm drawn, inside a quiet zone of 4 modules at the top of the cell
    assert (qr_right - qr_left + 1) / px_per_mm == pytest.approx(41 * 26 / 49, abs=0.3)
    assert (max(ys) - min(ys) + 1) / px_per_mm == pytest.approx(41 * 26 / 49, abs=0.3)
    assert min(ys) / px_per_mm == pytest.approx(4 * 26 / 49, abs=0.3)

    module = 26 / 49 * px_per_mm

    def is_dark(column, row):  # the module's centre
        x = qr_left + (column + 0.5) * module
        y = min(ys) + (row + 0.5) * module
        return corner.getpixel((int(x), int(y))) < 128

    code = segno.make(data["ksef"]["url"], error="m", micro=False)
    expected = [[bool(v) for v in row] for row in code.matrix]
    seen = [[is_dark(column, row) for column in range(41)] for row in range(41)]
    assert seen == expected


# --- the render task ----------------------------------------------------------------------------


def test_acceptance_re_renders_the_pdf_exactly_once(acme, media, mailoutbox,
                                                    django_capture_on_commit_callbacks):
    document = rendered(issued_document(
        acme, issue_date=ISSUED, buyer=buyer_data("Acme Sp. z o.o.",
                                                  email="ksiegowosc@acme.example")))
    first = (document.pdf.name, document.pdf_fingerprint)
    assert len(mailoutbox) == 1
    submission = submission_for(document, KsefStatus.SENT)

    assert render_document.delay(document.pk).get()["skipped"] == "unchanged"  # sent: no change

    submission = KsefSubmission.objects.select_related("document").get(pk=submission.pk)
    sending._accept(submission, KSEF_NUMBER, ACCEPTED_AT, now=ACCEPTED_AT)
    document.refresh_from_db()
    assert document.needs_render is True

    with django_capture_on_commit_callbacks(execute=True):  # the old file is deleted on commit
        outcome = render_document.delay(document.pk).get()

    document.refresh_from_db()
    assert outcome == {"document": document.pk, "rendered": True, "emailed": False,
                       "skipped": ""}
    assert document.pdf_fingerprint != first[1]
    assert document.pdf_fingerprint == rendering.document_fingerprint(loaded(document))
    assert document.needs_render is False
    with document.pdf.open("rb") as stored:
        [page] = page_texts(stored.read())
    assert f"Numer KSeF / KSeF number: {KSEF_NUMBER}" in page
    assert document.pdf.name != first[0]
    assert [str(p.relative_to(media)) for p in media.rglob("*.pdf")] == [document.pdf.name]
    assert len(mailoutbox) == 1  # the buyer had it already; not e-mailed again

    again = render_document.delay(document.pk).get()
    assert again == {"document": document.pk, "rendered": False, "emailed": False,
                     "skipped": "unchanged"}
    document.refresh_from_db()
    assert document.pdf_fingerprint == rendering.document_fingerprint(loaded(document))


# --- what a person sees -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["invoice-ksef", "correction-ksef"])
def test_first_page_of_an_accepted_document_as_png_for_a_visual_check(acme, name):
    """artifacts/<name>-page1.png (70 dpi) for a person to look at: the QR code in the header's
    right-hand corner, the KSeF number beneath, nothing pushed off the page. The correction is the
    widest header there is: the longest title, and an ordering party beside the parties."""
    invoice = issued_document(
        acme, issue_date=ISSUED,
        lines=[Line("Base — 3 stanowiska / seats", 3, "59.00", date(2026, 12, 5),
                    date(2026, 12, 31)),
               Line("Chatbot — pakiet / pack", 1, "49.99")],
        note="Zamówienie ZK/2026/117.")
    submission_for(invoice, KsefStatus.ACCEPTED)
    document = invoice
    if name == "correction-ksef":
        document = issued_document(
            acme, kind=DocumentKind.CORRECTION, corrects=invoice, issue_date=ISSUED,
            lines=[Line("Base — 2 stanowiska / seats", 2, "59.00", date(2026, 12, 5),
                        date(2026, 12, 31)),
                   Line("Chatbot — pakiet / pack", 1, "49.99")],
            buyer=invoice.buyer, ordering_party={**invoice.buyer, "name": "Acme Holding S.A."},
            correction_reason="Zwrot za stanowisko")
        submission_for(document, KsefStatus.ACCEPTED,
                       ksef_number="5260250995-20261205-0100002BC731-4D")
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf.document_pdf(loaded(document)))

    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(ARTIFACTS / f"{name}-page1")], check=True)

    texts = page_texts(source.read_bytes())
    assert "Numer KSeF / KSeF number:" in texts[0]
    image = Image.open(ARTIFACTS / f"{name}-page1.png")
    assert abs(image.size[0] - 579) <= 2  # A4 width at 70 dpi: nothing widened the page
