"""Ops in the Django admin (issue 10): running a job now and reading its result, an account's
timeline, and the account "as of" a date (phase, banners per role, renewal quote).

Amounts by hand: Base 59 PLN a seat a month, 23 % VAT (Poland)."""

import html
import re
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_celery_results.models import TaskResult

from billing_site.celery import app as celery_app
from dunning.models import Notice, PhaseTransition, SweepRun
from dunning.services.sweep import dunning_sweep
from invoices.tests import billing_profile
from payments import services as payment_services
from plans import services as plan_services
from seats.models import AuditEntry

NBSP = "\xa0"
D = date.fromisoformat
CREATED = D("2026-10-25")  # seats added that day are valid until 2026-10-31
TODAY = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))

JOBS = reverse("admin:dunning_jobs")


@pytest.fixture
def on_20_november():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def acme(make_account, make_member):
    """Acme: an admin and a user, both seats never paid and valid until 2026-10-31."""
    account, admin = make_account("Acme", as_of=CREATED)
    user = make_member(account, "user@acme.example", as_of=CREATED)
    return account, admin, user


def status_url(task_id):
    return reverse("admin:dunning_job_status", args=[task_id])


def text(response):
    """The page's text with tags dropped and whitespace collapsed."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()))


# --- jobs ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_jobs_page_lists_every_billing_job_with_run_now_and_the_sweep_date(admin_client,
                                                                           on_20_november):
    page = admin_client.get(JOBS)

    assert page.status_code == 200
    body = page.content.decode()
    for task in ("dunning.sweep", "seats.apply_scheduled_member_changes",
                 "invoices.render_pending_documents", "invoices.fetch_nbp_rates",
                 "invoices.recheck_pending_vat_ids", "plans.refresh_orders",
                 "payments.retry_events", "billing_site.heartbeat"):
        assert f'value="{task}"' in body, task  # a "Run now" form per job
    # the sweep and the recurring card charges take a date and a dry run
    assert body.count('type="date"') == 2 and body.count('name="dry_run"') == 2
    assert "csrfmiddlewaretoken" in body


@pytest.mark.django_db
def test_a_superuser_runs_a_job_now_and_its_page_shows_the_stored_success(admin_client,
                                                                          on_20_november):
    response = admin_client.post(JOBS, {"task": "billing_site.heartbeat"})

    row = TaskResult.objects.get()
    assert response.status_code == 302 and response.url == status_url(row.task_id)
    assert (row.task_name, row.status) == ("billing_site.heartbeat", "SUCCESS")
    page = admin_client.get(response.url)
    assert page.status_code == 200
    assert "SUCCESS" in text(page) and '"alive": true' in text(page)
    assert 'http-equiv="refresh"' not in page.content.decode()  # finished: no more reloading
    assert reverse("admin:django_celery_results_taskresult_change", args=[row.pk]) in (
        page.content.decode())
    entry = AuditEntry.objects.get(action="job.run_now")
    assert entry.after == {"task": "billing_site.heartbeat", "kwargs": {},
                           "task_id": row.task_id}
    assert entry.actor_label == "admin"
    # the run is listed on the jobs page
    assert status_url(row.task_id) in admin_client.get(JOBS).content.decode()


@pytest.mark.django_db
def test_the_sweep_runs_from_the_jobs_page_for_a_date_as_a_dry_run_and_for_real(
        admin_client, acme, on_20_november):
    account, _admin, _user = acme

    dry = admin_client.post(JOBS, {"task": "dunning.sweep", "as_of": "2026-11-03",
                                   "dry_run": "on"})

    row = TaskResult.objects.get()
    assert row.status == "SUCCESS" and "2026-11-03" in row.task_kwargs
    assert not SweepRun.objects.exists() and not PhaseTransition.objects.exists()
    page = text(admin_client.get(dry.url))
    assert "Dry run: what the sweep would do" in page and "Acme" in page

    real = admin_client.post(JOBS, {"task": "dunning.sweep", "as_of": "2026-11-03"})

    run = SweepRun.objects.get()
    assert (run.as_of, run.dry_run, run.accounts_changed) == (D("2026-11-03"), False, 1)
    assert PhaseTransition.objects.filter(account=account, seat__isnull=True,
                                          to_phase="grace").exists()
    page = text(admin_client.get(real.url))
    assert "Accounts changed 1 Seats changed 2" in page  # the run's counts
    jobs_page = admin_client.get(JOBS)
    assert reverse("admin:dunning_sweeprun_change", args=[run.pk]) in (
        jobs_page.content.decode())
    assert "Nov. 3, 2026" in text(jobs_page)


@pytest.mark.parametrize(("as_of", "dry_run", "message"), [
    ("2026-13-45", True, "Enter the date as YYYY-MM-DD, for example 2026-11-16."),
    ("yesterday", False, "Enter the date as YYYY-MM-DD, for example 2026-11-16."),
    ("2206-11-03", True, "Pick a date within 5 years of today."),
    ("2026-11-21", False, "A sweep for a future date can only be a dry run"),
])
@pytest.mark.django_db
def test_a_bad_sweep_date_is_refused_with_a_message_and_nothing_is_queued(
        admin_client, on_20_november, as_of, dry_run, message):
    data = {"task": "dunning.sweep", "as_of": as_of}
    if dry_run:
        data["dry_run"] = "on"

    response = admin_client.post(JOBS, data)

    assert response.status_code == 400
    assert message in text(response)
    assert not TaskResult.objects.exists() and not SweepRun.objects.exists()


@pytest.mark.django_db
def test_card_charges_for_a_future_date_are_only_a_dry_run_from_the_jobs_page(
        admin_client, on_20_november):
    response = admin_client.post(JOBS, {"task": "dunning.charge_recurring",
                                        "as_of": "2026-12-30"})
    assert response.status_code == 400
    assert "Card charges for a future date can only be a dry run" in text(response)
    assert not TaskResult.objects.exists()
    response = admin_client.post(JOBS, {"task": "dunning.charge_recurring",
                                        "as_of": "2026-12-30", "dry_run": "on"})
    assert response.status_code == 302
    row = TaskResult.objects.get()
    assert (row.task_name, row.status) == ("dunning.charge_recurring", "SUCCESS")
    assert '"dry_run": true' in row.result and '"as_of": "2026-12-30"' in row.result


@pytest.mark.django_db
def test_an_unknown_job_is_refused(admin_client, on_20_november):
    response = admin_client.post(JOBS, {"task": "os.system"})
    assert response.status_code == 400 and "There is no such job." in text(response)
    assert not TaskResult.objects.exists()


@pytest.mark.django_db
def test_a_task_id_without_a_result_yet_shows_pending_and_reloads_itself(admin_client):
    # a task id this site never queued (no result row): 404 with a message, no reloading
    page = admin_client.get(status_url("no-such-task"))
    assert page.status_code == 404
    assert "No job run with the id no-such-task is known to this site" in text(page)
    assert 'http-equiv="refresh"' not in page.content.decode()


# --- who may use the ops pages -------------------------------------------------------------------


def ops_urls(account_id):
    return [JOBS, status_url("x"), reverse("admin:dunning_accounts"),
            reverse("admin:dunning_account_timeline", args=[account_id]),
            reverse("admin:dunning_account_preview", args=[account_id])]


@pytest.mark.django_db
def test_the_ops_pages_send_non_staff_to_the_admin_login(client, acme):
    account, admin, _user = acme
    for url in ops_urls(account.pk):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    # the tenant's admin, while the account is active, is no vendor staff
    client.force_login(admin.user)
    with time_machine.travel(datetime(2026, 10, 28, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        for url in ops_urls(account.pk):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("admin:login")), url
        response = client.post(JOBS, {"task": "billing_site.heartbeat"})
    assert response.status_code == 302 and not TaskResult.objects.exists()


@pytest.mark.django_db
def test_staff_need_the_permissions_job_runs_and_account_reads_ask_for(client, acme, staff):
    account, _admin, _user = acme
    client.force_login(staff)  # staff without permissions
    for url in ops_urls(account.pk):
        assert client.get(url).status_code == 403, url

    staff.user_permissions.add(Permission.objects.get(codename="view_account",
                                                      content_type__app_label="seats"))
    staff = get_user_model().objects.get(pk=staff.pk)  # drop the permission cache
    client.force_login(staff)
    assert client.get(ops_urls(account.pk)[3]).status_code == 200
    assert client.get(JOBS).status_code == 403

    staff.user_permissions.add(Permission.objects.get(codename="view_taskresult"))
    client.force_login(get_user_model().objects.get(pk=staff.pk))
    page = client.get(JOBS)
    assert page.status_code == 200 and "You may not run jobs." in text(page)
    assert client.post(JOBS, {"task": "billing_site.heartbeat"}).status_code == 403
    assert not TaskResult.objects.exists()


# --- the account's timeline ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_timeline_lists_seats_with_their_ledger_and_every_kind_of_event(
        admin_client, acme, staff):
    account, _admin, _user = acme
    billing_profile(account)
    dunning_sweep(as_of=D("2026-11-01"))  # grace: a transition and an e-mail
    order = plan_services.renewal_order_create(account=account, until=(2026, 11), actor=None,
                                               as_of=D("2026-11-02"))
    payment_services.payment_transfer_start(order=order, actor=None, as_of=D("2026-11-02"))
    payment_services.transfer_book(order=order, amount=order.gross,
                                   received_on=D("2026-11-02"), reference="transfer",
                                   actor=staff, as_of=D("2026-11-02"))
    dunning_sweep(as_of=D("2026-11-03"))  # paid: back to active
    assert Notice.objects.filter(account=account, kind="grace").exists()

    page = admin_client.get(reverse("admin:dunning_account_timeline", args=[account.pk]))

    assert page.status_code == 200
    body = page.content.decode()
    for kind in ("phase", "order", "payment", "document", "notice", "audit"):
        assert f"ops-event-{kind}" in body, kind
    words = text(page)
    assert "account: active → grace period" in words
    assert "account: grace period → active" in words
    assert f"Order #{order.pk} (renewal)" in words and "177.91 PLN gross, paid" in words
    assert "Payment #" in words and "bank transfer (pro-forma)" in words
    assert "pro-forma PF/2026/11/0001" in words and "VAT invoice FV/2026/11/0001" in words
    assert "Dunning e-mail: entered grace period (about Oct. 31, 2026)" in words
    # the seats with their ledger rows: added, then paid by the order through 30 November
    assert "user@acme.example" in words
    assert words.count("Oct. 25, 2026 – Oct. 31, 2026: seat added") == 2
    assert words.count(f"paid, order #{order.pk}") == 2
    # newest first: the return to active above the grace it ended
    assert words.index("grace period → active") < words.index("active → grace period")
    assert reverse("admin:dunning_account_preview", args=[account.pk]) in body


@pytest.mark.django_db
def test_the_dunning_lists_link_each_account_to_its_timeline_and_preview(admin_client, acme):
    account, _admin, _user = acme
    dunning_sweep(as_of=D("2026-11-01"))
    timeline = reverse("admin:dunning_account_timeline", args=[account.pk])
    for model in ("recordedphase", "phasetransition", "notice"):
        page = admin_client.get(reverse(f"admin:dunning_{model}_changelist"))
        assert page.status_code == 200 and timeline in page.content.decode(), model
        assert JOBS in page.content.decode()
    accounts = admin_client.get(reverse("admin:dunning_accounts"), {"q": "acme"})
    assert timeline in accounts.content.decode()
    assert "grace period since Nov. 1, 2026" in text(accounts)


@pytest.mark.django_db
def test_the_dunning_rows_are_read_only_in_the_admin(admin_client, acme):
    dunning_sweep(as_of=D("2026-11-01"))
    run = SweepRun.objects.get()
    assert admin_client.get(reverse("admin:dunning_sweeprun_add")).status_code == 403
    change = admin_client.get(reverse("admin:dunning_sweeprun_change", args=[run.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert admin_client.post(reverse("admin:dunning_sweeprun_delete", args=[run.pk]),
                             {"post": "yes"}).status_code == 403
    assert SweepRun.objects.filter(pk=run.pk).exists()


# --- the account as of a date --------------------------------------------------------------------


def preview(client, account, as_of):
    return client.get(reverse("admin:dunning_account_preview", args=[account.pk]),
                      {"as_of": as_of})


@pytest.mark.parametrize(("as_of", "phase", "overdue", "admin_banner", "user_sees", "gross"), [
    # d = -3: the banner before expiry; the quote to 31 Oct: 2 × 59 × 7/31 = 2 × 13.32 = 26.64
    # net, VAT 6.13
    ("2026-10-28", "active", "0",
     "2 seats need renewing soon, the first is valid only until Oct. 31, 2026. Renew now to "
     "avoid a break.",
     "Your seat is paid until Oct. 31, 2026. Ask an administrator of your organisation to "
     "renew it.", "32.77 PLN"),
    # d = 3: grace; the quote to 30 Nov pays the lapsed days too: 2 × (13.32 + 59) = 144.64 net,
    # VAT 33.27
    ("2026-11-03", "grace period", "3",
     "Payment required: 2 seats need renewing, the first was valid until Oct. 31, 2026. "
     "Renew now to keep access.",
     "Payment required: your seat was valid until Oct. 31, 2026. Ask an administrator of your "
     "organisation to renew it; without payment you cannot log in from Nov. 8, 2026.",
     "177.91 PLN"),
    # d = 10: blocked; users cannot log in; the quote is the same (expired under 15 days ago)
    ("2026-11-10", "blocked", "10",
     "Payment required: access is blocked for everyone but administrators. 2 seats need "
     "renewing, the first was valid until Oct. 31, 2026.",
     "cannot log in: Your seat in Acme was paid until Oct. 31, 2026 and the payment is "
     "overdue, so it is blocked.", "177.91 PLN"),
])
@pytest.mark.django_db
def test_the_preview_shows_phase_banners_and_quote_on_a_date(
        admin_client, acme, on_20_november, as_of, phase, overdue, admin_banner, user_sees,
        gross):
    account, _admin, _user = acme

    page = preview(admin_client, account, as_of)

    assert page.status_code == 200
    body = page.content.decode()
    assert re.search(rf'id="preview-phase">{phase}<', body)
    assert re.search(rf'id="preview-overdue">{overdue}<', body)
    assert 'id="preview-paused">no<' in body
    words = text(page)
    assert admin_banner in words
    assert user_sees in words
    # the amount as the pages write it: grouped, a no-break space before the currency
    assert f'id="quote-gross">{gross.replace(" ", NBSP)}<' in body


@pytest.mark.django_db
def test_the_preview_shows_suspension_and_why_no_quote_is_possible(admin_client, acme,
                                                                   on_20_november):
    account, _admin, _user = acme
    page = preview(admin_client, account, "2026-11-16")  # d = 16: suspended
    assert 'id="preview-phase">suspended<' in page.content.decode()
    assert 'id="preview-paused">yes<' in page.content.decode()
    assert "the organisation is suspended and its automations are paused" in text(page)
    # a target month in the past cannot be quoted: the preview says so instead of failing
    past = preview(admin_client, account, "2022-01-10")
    assert past.status_code == 200
    assert 'id="preview-phase">active<' in past.content.decode()


@pytest.mark.parametrize("as_of", ["2026-02-30", "not-a-date", ""])
@pytest.mark.django_db
def test_a_bad_preview_date_is_refused_with_a_message(admin_client, acme, on_20_november,
                                                      as_of):
    account, _admin, _user = acme
    page = preview(admin_client, account, as_of)
    assert page.status_code == 400
    assert ("Enter the date as YYYY-MM-DD" in text(page)
            or "This field is required." in text(page))
    assert 'id="preview-phase"' not in page.content.decode()


@pytest.mark.django_db
def test_the_preview_defaults_to_today(admin_client, acme, on_20_november):
    account, _admin, _user = acme
    page = admin_client.get(reverse("admin:dunning_account_preview", args=[account.pk]))
    assert page.status_code == 200 and 'value="2026-11-20"' in page.content.decode()
    assert "Acme as of Nov. 20, 2026" in text(page)


# --- on a real worker ----------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_queued_for_a_worker_is_pending_at_once_then_started_and_successful(
        admin_client):
    celery_app.control.purge()
    response = admin_client.post(JOBS, {"task": "billing_site.heartbeat"})

    row = TaskResult.objects.get()  # stored at once, before any worker saw it
    assert row.status == "PENDING" and row.task_name == "billing_site.heartbeat"
    waiting = admin_client.get(response.url)
    assert "queued, waiting for a worker" in text(waiting)
    assert '<meta http-equiv="refresh" content="2">' in waiting.content.decode()

    with start_worker(celery_app, perform_ping_check=False, shutdown_timeout=20):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row.refresh_from_db()
            if row.status == "SUCCESS":
                break
            time.sleep(0.2)
    assert row.status == "SUCCESS"
    assert row.date_started is not None  # the worker stored STARTED (task_track_started)
    done = admin_client.get(response.url)
    assert "SUCCESS" in text(done) and '"alive": true' in text(done)
    assert 'http-equiv="refresh"' not in done.content.decode()
