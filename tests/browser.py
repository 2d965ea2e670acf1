"""Helpers for the Playwright browser tests (headless Debian Chromium; never `playwright install`).

Playwright's sync API runs an asyncio event loop in the test thread, so Django would refuse ORM
calls made by the test itself while a browser is open; the tests only touch the database between
browser steps, never concurrently with the live server's own request, hence the override below.
"""

import os
import re
from contextlib import contextmanager
from pathlib import Path

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@contextmanager
def browser_page(base_url, *, locale="en-US", javascript=True, width=1280, height=900):
    """A fresh browser page whose relative URLs resolve against `base_url`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                base_url=base_url, locale=locale, java_script_enabled=javascript,
                viewport={"width": width, "height": height},
            )
            page = context.new_page()
            page.set_default_timeout(10_000)
            yield page
        finally:
            browser.close()
            # ORM calls the test made while Playwright's loop ran got a connection of their own
            # (Django keys connections by async context): close it here, in that context, so
            # the test database can be dropped at the end of the run
            from django.db import connections

            connections.close_all()


def log_in(page, email, password):
    """Log in through the login page, in whatever language the page is in."""
    page.goto("/login/")
    form = page.locator("main form[action=\"/login/\"]")
    form.locator("input[type=email], input[name=username]").first.fill(email)
    form.locator("input[type=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def seat_counts(page):
    """(total, occupied, free) as shown in the boxes at the top of the users page."""
    return tuple(
        int(page.get_by_test_id(f"seats-{name}").inner_text())
        for name in ("total", "occupied", "free")
    )


def success_message(page):
    return page.locator(".message-success").inner_text()


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
