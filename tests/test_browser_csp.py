"""No page breaks the Content-Security-Policy (issue 13, item 11): Chromium opens the main pages of
every role — signed out, a member, an account admin (with the payment page, where Stripe.js runs:
localstripe's stand-in here), finance, ops in the admin, a superuser with the Swagger page — and
the console must not report a single CSP violation or a Permissions-Policy header error."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from demo.management.commands.load_demo import DEMO_PASSWORD
from plans.models import Order

from .browser import browser_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy",
             "Permissions policy")


@pytest.fixture
def demo(catalogue, stripe_settings):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def pages_of(login):
    """The pages `login` opens (None: signed out)."""
    if login is None:
        return ["/login/", "/signup/", "/password-reset/"]
    if login == "user@acme.example":
        return ["/", reverse("api_tokens")]
    if login == "admin@acme.example":
        order = Order.objects.get(account__name="Acme Sp. z o.o.", status="pending")
        return [reverse("account_users"), reverse("payments_renew"), reverse("package_change"),
                reverse("payments_invoice_data"), reverse("payments_history"),
                reverse("api_tokens"), reverse("payments_pay", args=[order.pk]),
                reverse("account_support")]
    if login == "finance@vendor.example":
        return [reverse("finance_documents"), reverse("dunning_finance_contracts"),
                reverse("finance_transfers"), reverse("finance_refunds")]
    if login == "support@vendor.example":  # support plans (issue 14)
        from support_plans.models import SupportContract, Ticket

        ticket = Ticket.objects.order_by("pk").first()
        contract = SupportContract.objects.order_by("pk").first()
        return [reverse("support_queue"), reverse("support_ticket", args=[ticket.pk]),
                reverse("support_report", args=[contract.pk])]
    if login == "ops@vendor.example":
        return [reverse("admin:index"), reverse("admin:dunning_jobs"),
                reverse("admin:dunning_accounts"), reverse("admin:seats_account_changelist"),
                reverse("admin:authtoken_tokenproxy_changelist"),
                reverse("admin:django_celery_beat_periodictask_changelist"),
                reverse("admin:django_celery_beat_periodictask_add"), reverse("api_tokens")]
    return [reverse("admin:index"), reverse("admin:auth_user_changelist"),
            reverse("admin:auth_user_add"), reverse("admin:seats_account_changelist"),
            reverse("api-docs")]


@pytest.mark.parametrize("login", [None, "user@acme.example", "admin@acme.example",
                                   "finance@vendor.example", "ops@vendor.example",
                                   "support@vendor.example", "root@vendor.example"])
def test_no_csp_violation_on_the_main_pages(live_server, demo, login):
    reports = []
    with browser_page(live_server.url) as page:
        page.on("console", lambda message: reports.append(f"{page.url}: {message.text}")
                if any(word in message.text for word in CSP_WORDS) else None)
        if login is not None:
            log_in(page, login, DEMO_PASSWORD)
        for path in pages_of(login):
            response = page.goto(path)
            assert response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            if path == reverse("api-docs"):  # Swagger UI drew the API from the schema
                expect(page.locator(".swagger-ui .info .title")).to_contain_text(
                    "Seat Billing API")
            if path.endswith("/pay/"):  # Stripe.js ran and mounted its card field
                expect(page.locator("#pay-form")).to_be_visible()

    assert reports == []


def test_a_blocked_inline_script_would_be_reported(live_server, demo):
    """The console listener above can fail: an inline script on a page is refused and reported."""
    reports = []
    with browser_page(live_server.url) as page:
        page.on("console", lambda message: reports.append(message.text)
                if any(word in message.text for word in CSP_WORDS) else None)
        page.goto("/login/")
        page.evaluate("""() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.appendChild(script);
        }""")
        page.wait_for_timeout(200)

        assert page.evaluate("window.injected === undefined")
    assert any("Content Security Policy" in report for report in reports), reports


def test_the_periodic_task_form_script_runs_from_its_file(live_server, demo):
    """django-celery-beat's form script, moved to static/js, still explains the chosen crontab."""
    from django_celery_beat.models import CrontabSchedule

    crontab = CrontabSchedule.objects.create(minute="0", hour="3")
    with browser_page(live_server.url) as page:
        log_in(page, "root@vendor.example", DEMO_PASSWORD)
        page.goto(reverse("admin:django_celery_beat_periodictask_add"))
        expect(page.locator(".field-crontab_translation")).to_be_hidden()

        page.locator("#id_crontab").select_option(str(crontab.pk))

        expect(page.locator(".field-crontab .help")).to_contain_text("Translation: At 03:00")
