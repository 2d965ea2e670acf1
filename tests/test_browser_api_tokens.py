"""The API tokens page end to end (issue 13, item 11): a member opens it from the header, makes a
token (shown once, and it works against the API), then revokes it after the confirmation step.
Screenshots: artifacts/api-tokens-*.png."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from .browser import browser_page, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def api_status(base_url, key):
    request = urllib.request.Request(base_url + "/api/v1/accounts/",
                                     headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            json.load(response)
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_a_member_makes_uses_and_revokes_a_token(live_server, make_account):
    _account, admin = make_account("Acme")
    with browser_page(live_server.url) as page:
        log_in(page, admin.user.email, "pass-Word-123")
        page.get_by_test_id("api-tokens-link").click()
        expect(page.get_by_test_id("no-token")).to_be_visible()

        page.get_by_test_id("token-create").click()
        key = page.get_by_test_id("new-token-key").inner_text()
        screenshot(page, "api-tokens-new")
        assert len(key) == 40
        assert api_status(live_server.url, key) == 200

        page.goto("/account/api-tokens/")
        expect(page.get_by_test_id("token-prefix")).to_have_text(key[:8] + "…")
        assert key not in page.content()

        page.get_by_test_id("token-revoke").click()
        expect(page.get_by_test_id("confirm")).to_contain_text(key[:8])
        screenshot(page, "api-tokens-confirm")
        page.get_by_test_id("confirm").locator("button[type=submit]").click()

        expect(page.locator(".message-success")).to_contain_text("The API token was revoked.")
        expect(page.get_by_test_id("no-token")).to_be_visible()
        assert api_status(live_server.url, key) == 401
