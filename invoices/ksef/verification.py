"""The verification link ("KOD I") of an invoice accepted by KSeF, and its QR code (issue 15).

The rule is the Ministry of Finance's KSeF 2.0 specification, "Kody weryfikujące QR"
(CIRFMF/ksef-docs, kody-qr.md), section 1 "KOD I – Weryfikacja i pobieranie faktury": an invoice
sent online carries one QR code encoding

    {QR base}/invoice/{seller NIP}/{issue date DD-MM-YYYY}/{SHA-256 of the XML, base64url}

e.g. https://qr.ksef.mf.gov.pl/invoice/5260250995/05-12-2026/UtQp9Gpc51y-u3xApZjIjgkpZ01js-J8KflSPW8WzIE
(the hash in base64url without padding: 43 characters), with the invoice's KSeF number printed
beneath the code (before a number is assigned the label would be OFFLINE; we print the code only
once KSeF accepted the invoice, so that never happens here). The code must follow ISO/IEC
18004:2015; the specification names no error-correction level, so we use M (15 %), the default
of ksef-client's own PNG helper and of common QR libraries.

The link is built by ksef-client's `VerificationLinkService` (date format, base64url, checks that
the hash is a SHA-256 digest); this module only chooses the QR base and what to pass in. Pure:
no database, no network. ksef-client is imported on first use, as in `sending` (it pulls in an
HTTP stack that a web process rendering nothing need not load).
"""

import io

import segno
from django.conf import settings

# ksef_client.config.KsefQrEnvironment.PROD / KsefEnvironment.PROD
PRODUCTION_QR_URL = "https://qr.ksef.mf.gov.pl"
PRODUCTION_API_URL = "https://api.ksef.mf.gov.pl"
QR_ERROR_LEVEL = "m"
# printed size of the whole symbol, quiet zone (4 modules) included; a 100-character link is a
# version 6 symbol (49 × 49 modules with the quiet zone): about 0.5 mm a module
QR_SIZE_MM = 26


def qr_base_url() -> str:
    """`settings.KSEF_QR_URL` when set; else the QR base ksef-client matches to
    `settings.KSEF_API_URL` (api-test → qr-test, api-demo → qr-demo, api → qr); else (no API URL,
    or one the library does not know, such as a local stand-in) the production base."""
    from ksef_client import KsefClientOptions

    if settings.KSEF_QR_URL:
        return settings.KSEF_QR_URL.rstrip("/")
    if settings.KSEF_API_URL:
        try:
            return KsefClientOptions(base_url=settings.KSEF_API_URL).resolve_qr_base_url()
        except ValueError:
            pass  # not one of the Ministry's environments
    return PRODUCTION_QR_URL


def verification_url(submission) -> str:
    """The KOD I link of `submission`'s document (see the module docstring).

    Seller NIP: the document's frozen seller snapshot (`seller["tax_id"]`), digits only; date: the
    document's `issue_date` (FA(3) field P_1); hash: `submission.invoice_hash`, the SHA-256 of the
    XML sent (standard base64, re-encoded as base64url without padding). Raises ValueError when
    the hash is not a SHA-256 digest (e.g. empty: nothing was sent yet)."""
    from ksef_client import KsefClientOptions
    from ksef_client.services.verification_link import VerificationLinkService

    document = submission.document
    nip = "".join(c for c in (document.seller or {}).get("tax_id", "") if c.isdigit())
    options = KsefClientOptions(base_url=settings.KSEF_API_URL or PRODUCTION_API_URL,
                                base_qr_url=qr_base_url())
    return VerificationLinkService(options).build_invoice_verification_url(
        nip, document.issue_date, submission.invoice_hash)


def qr_svg(url: str) -> str:
    """`url` as a QR code: an inline SVG element (no XML declaration), QR_SIZE_MM square, black
    modules on white with the 4-module quiet zone, error correction at least M (segno raises it
    for free when the symbol has room to spare)."""
    code = segno.make(url, error=QR_ERROR_LEVEL, micro=False)
    out = io.BytesIO()
    # viewBox in modules, no size: the size in mm is set below, whatever the symbol's version
    code.save(out, kind="svg", xmldecl=False, omitsize=True, nl=False, dark="#000",
              light="#fff", border=4, svgclass="ksef-qr-code", lineclass=None)
    svg = out.getvalue().decode("utf-8")
    return svg.replace("<svg ", f'<svg width="{QR_SIZE_MM}mm" height="{QR_SIZE_MM}mm" ', 1)
