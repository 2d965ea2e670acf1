"""The payments tests' private localstripe (`localstripe_server`, `stripe_settings`), for the
recurring card payment tests."""

from payments.tests.conftest import localstripe_server, stripe_settings  # noqa: F401
