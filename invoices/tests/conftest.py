import pytest
from django.test import Client

from invoices.tests.factories import staff_user

from .ksef_stub import KsefStub

# the seller's NIP in the test settings (SELLER["tax_id"]) and the KSeF token the stub accepts
KSEF_NIP = "5260250995"
KSEF_TOKEN = "20261205-EC-TEST-TOKEN|nip-5260250995|abcdef"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Rendered PDFs go to a fresh folder per test, never into the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def finance(django_user_model):
    """A vendor staff user in the finance group."""
    return staff_user(django_user_model, "finance@vendor.example", groups=["finance"])


@pytest.fixture
def finance_client(finance):
    client = Client()
    client.force_login(finance)
    return client


@pytest.fixture
def ksef(settings):
    """A running local KSeF stub (`ksef_stub.KsefStub`) with sending configured to use it."""
    with KsefStub(token=KSEF_TOKEN, nip=KSEF_NIP) as stub:
        settings.KSEF_API_URL = stub.base_url
        settings.KSEF_TOKEN = KSEF_TOKEN
        settings.KSEF_NIP = KSEF_NIP
        settings.KSEF_TIMEOUT = 10
        yield stub
