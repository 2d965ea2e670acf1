"""Fixtures of the cross-app tests. The browser tests of payments pay against a real localstripe:
its fixtures are those of the payments tests (`payments/tests/conftest.py`), made available here
(a session of both folders starts one localstripe for each; they are private and cheap)."""

from payments.tests.conftest import localstripe_server, stripe_settings

__all__ = ["localstripe_server", "stripe_settings"]
