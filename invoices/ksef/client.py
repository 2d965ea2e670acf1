"""One run's conversation with KSeF API 2.0 through `ksef-client` (issue 15): authentication with
the KSeF token (RSA-OAEP with KSeF's public key), one online session (form FA (3), the session's
AES-256 key), sending, invoice status and UPO. Used by `sending`; the library is imported on first
use (it takes ~0.2 s to load and is not needed while sending is off).

Passing failures (no answer, time-out, HTTP 401 / 408 / 429 / 5xx, authentication that failed or
did not finish) are raised as `KsefUnavailable`; any other refusal as the library's
`KsefHttpError` with KSeF's status and message.
"""

import logging

from django.conf import settings

from .models import KsefSubmission
from .schema import FORM_SYSTEM_CODE, SCHEMA_VERSION

logger = logging.getLogger(__name__)

# HTTP answers that mean "try later" rather than "this request is wrong"; 0 = no answer at all
PASSING_HTTP_STATUSES = {0, 401, 408, 429, 500, 502, 503, 504}


class KsefUnavailable(Exception):
    """KSeF did not answer usefully for a passing reason (outage, time-out, 5xx, 429)."""


class KsefConnection:
    """One authenticated KSeF client and (opened on first use) one online session per run."""

    def __init__(self):
        self._client = None
        self._access_token = ""
        self._session = None

    def _ksef(self):
        from ksef_client import KsefClient, KsefClientOptions

        if self._client is None:
            self._client = KsefClient(KsefClientOptions(base_url=settings.KSEF_API_URL,
                                                        timeout_seconds=settings.KSEF_TIMEOUT))
        return self._client

    def _call(self, function, *args, **kwargs):
        """Run a client call; passing failures become KsefUnavailable."""
        from ksef_client.exceptions import KsefHttpError

        try:
            return function(*args, **kwargs)
        except KsefHttpError as exc:
            if exc.status_code in PASSING_HTTP_STATUSES or exc.status_code >= 500:
                raise KsefUnavailable(f"KSeF HTTP {exc.status_code}: {exc.message}") from exc
            raise
        except (TimeoutError, RuntimeError) as exc:  # auth polling gave up / failed
            raise KsefUnavailable(str(exc)) from exc

    def access_token(self) -> str:
        if not self._access_token:
            from ksef_client.services.workflows import AuthCoordinator

            client = self._ksef()
            certificate = self._call(client.security.get_public_key_certificate,
                                     "KsefTokenEncryption")
            auth = self._call(
                AuthCoordinator(client.auth).authenticate_with_ksef_token,
                token=settings.KSEF_TOKEN, public_certificate=certificate.certificate,
                public_key_id=certificate.public_key_id, context_identifier_type="nip",
                context_identifier_value=settings.KSEF_NIP, poll_interval_seconds=1,
                max_attempts=10)
            self._access_token = auth.access_token
        return self._access_token

    def session(self):
        if self._session is None:
            from ksef_client.models import FormCode
            from ksef_client.services.workflows import OnlineSessionWorkflow

            client = self._ksef()
            token = self.access_token()
            certificate = self._call(client.security.get_public_key_certificate,
                                     "SymmetricKeyEncryption")
            self._session = self._call(
                OnlineSessionWorkflow(client.sessions).open_session,
                form_code=FormCode(system_code=FORM_SYSTEM_CODE, schema_version=SCHEMA_VERSION,
                                   value="FA"),
                public_certificate=certificate.certificate,
                public_key_id=certificate.public_key_id, access_token=token)
        return self._session

    def send(self, xml: bytes) -> str:
        """Send one invoice in the run's session; KSeF's invoice reference number."""
        from ksef_client.services.workflows import OnlineSessionWorkflow

        session = self.session()
        response = self._call(
            OnlineSessionWorkflow(self._ksef().sessions).send_invoice,
            session_reference_number=session.reference_number, invoice_xml=xml,
            encryption_data=session.encryption_data, access_token=self.access_token())
        return response.reference_number

    @property
    def session_reference(self) -> str:
        return self._session.reference_number if self._session is not None else ""

    def invoice_status(self, submission: KsefSubmission):
        return self._call(self._ksef().sessions.get_session_invoice_status,
                          submission.session_reference, submission.invoice_reference,
                          access_token=self.access_token())

    def upo(self, session_reference: str, ksef_number: str) -> bytes:
        return self._call(self._ksef().sessions.get_session_invoice_upo_by_ksef,
                          session_reference, ksef_number, access_token=self.access_token())

    def close(self):
        """Close the session (KSeF then issues the session's UPO) and the HTTP client. A failure
        here loses nothing: KSeF closes an idle session itself."""
        try:
            if self._session is not None:
                self._call(self._ksef().sessions.close_online_session,
                           self._session.reference_number, self.access_token())
        except Exception:  # noqa: BLE001 - closing is a courtesy; log and go on
            logger.warning("Could not close KSeF session %s", self.session_reference,
                           exc_info=True)
        finally:
            if self._client is not None:
                self._client.close()
