"""Stripe in the payments tests: a real localstripe over HTTP, private to this test run.

`localstripe_server` (session): one localstripe on a free port, its state in its own memory only
(see `payments.localstripe`), stopped at the end of the session. `stripe_settings` (per test):
points the settings at it with test keys and clears its data, so each test starts with no
customers, intents or events. Webhook registrations survive a clear: a test that registers one
silences it when done.
"""

import pytest

from payments import localstripe

STRIPE_SECRET_KEY = "sk_test_localstripe"
STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
STRIPE_WEBHOOK_SECRET = "whsec_test_localstripe"


@pytest.fixture(scope="session")
def localstripe_server():
    server = localstripe.start()
    yield server
    server.stop()


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    settings.STRIPE_API_BASE = localstripe_server.url
    settings.STRIPE_SECRET_KEY = STRIPE_SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = STRIPE_PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_WEBHOOK_SECRET
    localstripe_server.clear()
    return settings
