"""A small local stand-in for KSeF API 2.0 — the endpoints `ksef-client` uses to send invoices in
an online session — for tests that run the real sending code over HTTP (issue 15).

What it does like KSeF (API 2.0 documentation, "Uwierzytelnianie", "Sesja interaktywna",
"Weryfikacja faktury"):
- serves its own RSA public-key certificate for token and symmetric-key encryption, and really
  decrypts: the KSeF token ("token|timestampMs", RSA-OAEP SHA-256) and each session's AES-256 key;
  each invoice is AES-CBC decrypted and its SHA-256 checked against the declared `invoiceHash`;
- authentication: challenge → ksef-token (202) → status 200 (or 450 for a wrong token) → redeem;
  access tokens are checked on every session call (401 without one);
- validates each invoice against the FA(3) schema (status 450 with the validator's messages);
- detects duplicates as KSeF does — seller NIP + invoice kind + invoice number (P_2) — and answers
  440 with `extensions.originalKsefNumber` / `originalSessionReferenceNumber`;
- gives KSeF numbers `{NIP}-{YYYYMMDD}-{12 hex}-{2 hex}` and a per-invoice UPO (XML).

Knobs for tests: `outage` (every call answers 503), `reject_next(code, description, details)`,
`processing_polls` (status polls answering 150 before the verdict), `send_delay` (seconds the
answer to a send is held back *after* the invoice was taken: with a shorter client time-out the
sender never hears of it — a lost answer), `upo_missing` (UPO answers 404).
"""

import base64
import hashlib
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID
from lxml import etree

from invoices.ksef.fa3 import NAMESPACE
from invoices.ksef.schema import validation_errors

_KEY = None  # one RSA key per test process (generating one takes ~0.1 s)


def _key_and_certificate():
    global _KEY
    if _KEY is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "KSeF stub")])
        now = datetime.now(UTC)
        certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now - timedelta(days=1))
                       .not_valid_after(now + timedelta(days=365))
                       .sign(key, hashes.SHA256()))
        _KEY = (key, certificate)
    return _KEY


def _oaep():
    return asym_padding.OAEP(mgf=asym_padding.MGF1(algorithm=hashes.SHA256()),
                             algorithm=hashes.SHA256(), label=None)


def _reference(kind: str) -> str:
    return f"{datetime.now(UTC):%Y%m%d}-{kind}-{uuid.uuid4().hex[:10].upper()}-" \
           f"{uuid.uuid4().hex[:10].upper()}-{uuid.uuid4().hex[:2].upper()}"


@dataclass
class StubInvoice:
    reference: str
    session: str
    ordinal: int
    xml: bytes
    invoice_hash: str
    number: str
    code: int = 150
    description: str = "Trwa przetwarzanie"
    details: list = field(default_factory=list)
    extensions: dict | None = None
    ksef_number: str = ""
    acquired_at: str = ""
    polls_left: int = 0


class KsefStub:
    """Run with `with KsefStub(token=..., nip=...) as ksef:`; point `KSEF_API_URL` at
    `ksef.base_url`. `requests` lists (method, path) of every call; `invoices` the invoices
    taken, by reference number."""

    def __init__(self, *, token: str = "stub-ksef-token", nip: str = "5260250995"):
        self.token = token
        self.nip = nip
        self.outage = False
        self.processing_polls = 0
        self.send_delay = 0.0
        self.upo_missing = False
        self._reject_next: tuple | None = None
        self.requests: list[tuple[str, str]] = []
        self.invoices: dict[str, StubInvoice] = {}
        self._challenges: dict[str, int] = {}
        self._auth_operations: dict[str, dict] = {}  # reference → {token, ok}
        self._access_tokens: set[str] = set()
        self._sessions: dict[str, dict] = {}  # reference → {key, iv, open}
        self._by_identity: dict[tuple, StubInvoice] = {}  # (nip, kind, number) → first copy
        self._lock = threading.Lock()
        self._key, self._certificate = _key_and_certificate()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with stub._lock:
                    stub.requests.append((self.command, path))
                status, payload, content_type, delay = stub._dispatch(
                    self.command, path, body, self.headers.get("Authorization", ""))
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its time-out)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle ---

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def reject_next(self, code: int = 450, description: str = "Błąd weryfikacji semantyki "
                    "dokumentu faktury", details: list | None = None) -> None:
        """The next invoice sent gets this verdict instead of acceptance."""
        self._reject_next = (code, description, details or [])

    def calls(self, method: str, pattern: str) -> int:
        return sum(1 for m, p in self.requests if m == method and re.fullmatch(pattern, p))

    # --- routing ---

    def _dispatch(self, method, path, body, authorization):
        if self.outage:
            return self._json(503, {"title": "Service Unavailable", "status": 503})
        routes = [
            ("GET", r"/v2/security/public-key-certificates", self._certificates),
            ("POST", r"/v2/auth/challenge", self._challenge),
            ("POST", r"/v2/auth/ksef-token", self._ksef_token),
            ("POST", r"/v2/auth/token/redeem", self._redeem),
            ("GET", r"/v2/auth/(?P<ref>[^/]+)", self._auth_status),
            ("POST", r"/v2/sessions/online", self._open_session),
            ("POST", r"/v2/sessions/online/(?P<ref>[^/]+)/invoices", self._send),
            ("POST", r"/v2/sessions/online/(?P<ref>[^/]+)/close", self._close),
            ("GET", r"/v2/sessions/(?P<ref>[^/]+)/invoices/ksef/(?P<ksef>[^/]+)/upo", self._upo),
            ("GET", r"/v2/sessions/(?P<ref>[^/]+)/invoices/(?P<inv>[^/]+)", self._status),
        ]
        token = authorization.removeprefix("Bearer ").strip()
        for route_method, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and method == route_method:
                with self._lock:
                    return handler(body=body, token=token, **match.groupdict())
        return self._json(404, {"title": "Not Found", "status": 404})

    @staticmethod
    def _json(status, data, delay=0.0):
        return status, json.dumps(data).encode(), "application/json", delay

    def _unauthorised(self, token):
        if token not in self._access_tokens:
            return self._json(401, {"title": "Unauthorized", "status": 401,
                                    "detail": "Brak lub nieprawidłowy token dostępowy."})
        return None

    # --- authentication ---

    def _certificates(self, **_):
        der = self._certificate.public_bytes(serialization.Encoding.DER)
        now = datetime.now(UTC)
        entry = {"certificate": base64.b64encode(der).decode(), "certificateId": "stub-cert",
                 "publicKeyId": "stub-key", "validFrom": (now - timedelta(days=1)).isoformat(),
                 "validTo": (now + timedelta(days=365)).isoformat()}
        return self._json(200, [{**entry, "usage": ["KsefTokenEncryption"]},
                                {**entry, "usage": ["SymmetricKeyEncryption"]}])

    def _challenge(self, **_):
        challenge = f"{datetime.now(UTC):%Y%m%d}-CR-{uuid.uuid4().hex[:20].upper()}"
        timestamp_ms = int(time.time() * 1000)
        self._challenges[challenge] = timestamp_ms
        return self._json(200, {"challenge": challenge, "timestamp": datetime.now(UTC).isoformat(),
                                "timestampMs": timestamp_ms, "clientIp": "127.0.0.1"})

    def _ksef_token(self, body, **_):
        request = json.loads(body)
        timestamp_ms = self._challenges.pop(request.get("challenge"), None)
        if timestamp_ms is None:
            return self._json(400, {"exception": {"exceptionDetailList": [
                {"exceptionCode": 21001, "exceptionDescription": "Nieprawidłowe wyzwanie."}]}})
        plain = self._key.decrypt(base64.b64decode(request["encryptedToken"]), _oaep()).decode()
        context = request.get("contextIdentifier") or {}
        ok = (plain == f"{self.token}|{timestamp_ms}" and context.get("value") == self.nip)
        reference = _reference("AU")
        auth_token = uuid.uuid4().hex
        self._auth_operations[reference] = {"token": auth_token, "ok": ok}
        return self._json(202, {"referenceNumber": reference, "authenticationToken": {
            "token": auth_token, "validUntil": (datetime.now(UTC) + timedelta(minutes=15))
            .isoformat()}})

    def _auth_status(self, ref, token, **_):
        operation = self._auth_operations.get(ref)
        if operation is None or operation["token"] != token:
            return self._json(401, {"title": "Unauthorized", "status": 401})
        status = ({"code": 200, "description": "Uwierzytelnianie zakończone sukcesem"}
                  if operation["ok"] else
                  {"code": 450, "description": "Uwierzytelnianie zakończone niepowodzeniem z "
                   "powodu błędnego tokenu", "details": ["Nieprawidłowy token KSeF."]})
        return self._json(200, {
            "startDate": datetime.now(UTC).isoformat(), "authenticationMethod": "Token",
            "authenticationMethodInfo": {"category": "Token", "code": "token.ksef",
                                         "displayName": "Token KSeF"},
            "status": status})

    def _redeem(self, token, **_):
        operation = next((o for o in self._auth_operations.values() if o["token"] == token), None)
        if operation is None or not operation["ok"] or operation.get("redeemed"):
            return self._json(400, {"exception": {"exceptionDetailList": [
                {"exceptionCode": 21301, "exceptionDescription": "Brak autoryzacji."}]}})
        operation["redeemed"] = True
        access = uuid.uuid4().hex
        self._access_tokens.add(access)
        until = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
        return self._json(200, {"accessToken": {"token": access, "validUntil": until},
                                "refreshToken": {"token": uuid.uuid4().hex,
                                                 "validUntil": until}})

    # --- online session ---

    def _open_session(self, body, token, **_):
        if refusal := self._unauthorised(token):
            return refusal
        request = json.loads(body)
        encryption = request["encryption"]
        key = self._key.decrypt(base64.b64decode(encryption["encryptedSymmetricKey"]), _oaep())
        iv = base64.b64decode(encryption["initializationVector"])
        form = request.get("formCode") or {}
        if (form.get("systemCode"), form.get("value")) != ("FA (3)", "FA"):
            return self._json(400, {"exception": {"exceptionDetailList": [
                {"exceptionCode": 21405, "exceptionDescription": "Nieobsługiwany formularz."}]}})
        reference = _reference("SO")
        self._sessions[reference] = {"key": key, "iv": iv, "open": True, "count": 0}
        return self._json(201, {"referenceNumber": reference, "validUntil": (
            datetime.now(UTC) + timedelta(hours=12)).isoformat()})

    def _close(self, ref, token, **_):
        if refusal := self._unauthorised(token):
            return refusal
        session = self._sessions.get(ref)
        if session is None:
            return self._json(404, {"title": "Not Found", "status": 404})
        session["open"] = False
        return 204, b"", "application/json", 0

    def _send(self, ref, body, token, **_):
        if refusal := self._unauthorised(token):
            return refusal
        session = self._sessions.get(ref)
        if session is None or not session["open"]:
            return self._json(400, {"exception": {"exceptionDetailList": [
                {"exceptionCode": 21180, "exceptionDescription": "Sesja nie jest otwarta."}]}})
        request = json.loads(body)
        encrypted = base64.b64decode(request["encryptedInvoiceContent"])
        decryptor = Cipher(algorithms.AES(session["key"]), modes.CBC(session["iv"])).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        xml = unpadder.update(decryptor.update(encrypted) + decryptor.finalize()) \
            + unpadder.finalize()
        invoice_hash = base64.b64encode(hashlib.sha256(xml).digest()).decode()
        if invoice_hash != request["invoiceHash"] or len(xml) != request["invoiceSize"]:
            return self._json(400, {"exception": {"exceptionDetailList": [
                {"exceptionCode": 21155, "exceptionDescription": "Skrót faktury niezgodny."}]}})
        session["count"] += 1
        invoice = StubInvoice(reference=_reference("EE"), session=ref, ordinal=session["count"],
                              xml=xml, invoice_hash=invoice_hash, number="",
                              polls_left=self.processing_polls)
        self._judge(invoice)
        self.invoices[invoice.reference] = invoice
        return self._json(202, {"referenceNumber": invoice.reference}, delay=self.send_delay)

    def _judge(self, invoice: StubInvoice) -> None:
        errors = validation_errors(invoice.xml)
        if errors:
            invoice.code, invoice.description = 450, "Błąd weryfikacji semantyki dokumentu faktury"
            invoice.details = errors[:5]
            return
        tree = etree.fromstring(invoice.xml)
        ns = {"fa": NAMESPACE}
        invoice.number = tree.findtext("fa:Fa/fa:P_2", namespaces=ns)
        identity = (tree.findtext("fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP", namespaces=ns),
                    tree.findtext("fa:Fa/fa:RodzajFaktury", namespaces=ns), invoice.number)
        if self._reject_next is not None:
            invoice.code, invoice.description, invoice.details = self._reject_next
            self._reject_next = None
            return
        first = self._by_identity.get(identity)
        if first is not None:
            invoice.code, invoice.description = 440, "Duplikat faktury"
            invoice.details = [f"Faktura o numerze {invoice.number} została już przyjęta."]
            invoice.extensions = {"originalKsefNumber": first.ksef_number,
                                  "originalSessionReferenceNumber": first.session}
            return
        now = datetime.now(UTC)
        invoice.code, invoice.description = 200, "Sukces"
        invoice.ksef_number = f"{identity[0]}-{now:%Y%m%d}-{uuid.uuid4().hex[:12].upper()}-" \
                              f"{uuid.uuid4().hex[:2].upper()}"
        invoice.acquired_at = now.isoformat()
        self._by_identity[identity] = invoice

    def _status(self, ref, inv, token, **_):
        if refusal := self._unauthorised(token):
            return refusal
        invoice = self.invoices.get(inv)
        if invoice is None or invoice.session != ref:
            return self._json(404, {"title": "Not Found", "status": 404})
        data = {"ordinalNumber": invoice.ordinal, "referenceNumber": invoice.reference,
                "invoiceHash": invoice.invoice_hash, "invoiceNumber": invoice.number,
                "invoicingDate": datetime.now(UTC).isoformat()}
        if invoice.polls_left > 0:
            invoice.polls_left -= 1
            data["status"] = {"code": 150, "description": "Trwa przetwarzanie"}
            return self._json(200, data)
        data["status"] = {"code": invoice.code, "description": invoice.description,
                          "details": invoice.details or None, "extensions": invoice.extensions}
        if invoice.code == 200:
            data.update(ksefNumber=invoice.ksef_number, acquisitionDate=invoice.acquired_at)
        return self._json(200, data)

    def _upo(self, ref, ksef, token, **_):
        if refusal := self._unauthorised(token):
            return refusal
        invoice = next((i for i in self.invoices.values()
                        if i.ksef_number == ksef and i.session == ref), None)
        if invoice is None or self.upo_missing:
            return self._json(404, {"title": "Not Found", "status": 404})
        upo = (f'<?xml version="1.0" encoding="UTF-8"?><Potwierdzenie><NumerKSeFDokumentu>'
               f"{ksef}</NumerKSeFDokumentu><NumerFaktury>{invoice.number}</NumerFaktury>"
               f"<SkrotDokumentu>{invoice.invoice_hash}</SkrotDokumentu></Potwierdzenie>")
        return 200, upo.encode(), "application/xml", 0
