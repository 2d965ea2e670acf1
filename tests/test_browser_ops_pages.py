"""The dunning ops pages in the admin on a 390 px phone, in English and Polish (QA of issue 10):
the page itself never scrolls sideways; a wide table scrolls inside its own box.

The live server runs on the real clock: Acme is created 40 days ago with its seats valid until
12 days ago (blocked), so the jobs page, a sweep's dry run, the timeline and the preview (with its
renewal quote) all have wide tables to show."""

from datetime import timedelta

import pytest

from billing_site.dates import today
from dunning.services.sweep import dunning_sweep
from seats.models import Seat
from seats.tests.helpers import seats_pay_through

from .browser import browser_page, screenshot

PASSWORD = "pass-Word-123"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme(make_account, make_member):
    created = today() - timedelta(days=40)
    account, admin = make_account("Acme Widgets International", as_of=created)
    make_member(account, "a-rather-long-user-address@acme-widgets.example", as_of=created)
    seats_pay_through(Seat.objects.filter(account=account), today() - timedelta(days=12))
    dunning_sweep(as_of=today())  # phase changes and e-mails for the timeline
    return account


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="root@vendor.example", email="root@vendor.example", password=PASSWORD)


def admin_log_in(page, user):
    page.goto("/admin/login/")
    page.locator("#id_username").fill(user.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_load_state()


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def boxes_past_the_screen(page, width=390):
    """Table boxes (and other blocks of the content) whose right edge passes the viewport."""
    return page.evaluate(
        """(width) => Array.from(document.querySelectorAll(
                '#content-main > *, #content-main .ops-scroll, #content-main section > *'))
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .map(el => el.tagName + '.' + el.className)""", width)


def check_phone(page, name):
    page.set_viewport_size(DESKTOP)
    screenshot(page, name)
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(100)
    screenshot(page, f"{name}-narrow")
    assert page_width(page) <= PHONE["width"], f"{name}: {page_width(page)} px wide at 390 px"
    assert boxes_past_the_screen(page) == [], name
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_ops_pages_fit_a_phone_and_their_tables_scroll_in_their_box(
        live_server, acme, superuser, language):
    with browser_page(live_server.url, locale="pl-PL" if language == "pl" else "en-US") as page:
        admin_log_in(page, superuser)

        # the jobs page, after a dry run of the sweep (its row in Recent runs)
        page.goto("/admin/dunning/jobs/")
        sweep = page.locator("form.ops-inline-form", has=page.locator(
            "input[name=task][value='dunning.sweep']"))
        sweep.locator("input[name=as_of]").fill((today() + timedelta(days=5)).isoformat())
        sweep.locator("input[name=dry_run]").check()
        sweep.locator("[type=submit]").click()
        page.wait_for_load_state()
        page.goto("/admin/dunning/jobs/")
        check_phone(page, f"ops-jobs-{language}")
        page.go_back()
        check_phone(page, f"ops-job-status-{language}")
        assert page.locator("#dry-run-report").count() == 1

        page.goto(f"/admin/dunning/accounts/{acme.pk}/timeline/")
        assert page.locator("tr.ops-event").count() > 0
        check_phone(page, f"ops-timeline-{language}")

        page.goto(f"/admin/dunning/accounts/{acme.pk}/preview/?as_of={today().isoformat()}")
        assert page.locator("#quote-gross").count() == 1
        check_phone(page, f"ops-preview-{language}")
        page.goto(f"/admin/dunning/accounts/{acme.pk}/preview/"
                  f"?as_of={(today() - timedelta(days=14)).isoformat()}")
        check_phone(page, f"ops-preview-grace-{language}")
