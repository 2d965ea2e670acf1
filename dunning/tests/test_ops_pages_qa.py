"""QA of the dunning ops pages in the admin and the finance contracts page: every refusal is
visible, an unknown job run is a 404 and polling ends, the sweep's report is in the user's
language with dates that say what they are, a deleted trial's preview, and staff-worded 403s.

Acme: an admin and a user, both seats never paid and valid until 2026-10-31 (as in
`test_ops_admin`); policy defaults: grace 7 days, blocked to day 14, trial deleted 30 days after
its last day."""

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_celery_results.models import TaskResult

from dunning.models import SweepRun
from seats.models import AccessHold

D = date.fromisoformat
WARSAW = ZoneInfo("Europe/Warsaw")
CREATED = D("2026-10-25")
TODAY = datetime(2026, 11, 20, 12, 0, tzinfo=WARSAW)
JOBS = reverse("admin:dunning_jobs")
FINANCE = reverse("dunning_finance_contracts")
CUSTOMER_WORDING = "Only administrators of the organisation can manage seats"


@pytest.fixture
def on_20_november():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def acme(make_account, make_member):
    account, admin = make_account("Acme", as_of=CREATED)
    user = make_member(account, "user@acme.example", as_of=CREATED)
    return account, admin, user


def text(response):
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()))


def status_url(task_id):
    return reverse("admin:dunning_job_status", args=[task_id])


def report_rows(response, table_id):
    """The rows of a report table as lists of cell texts."""
    body = response.content.decode()
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', body, re.S)
    assert table, f"no table #{table_id}"
    return [[html.unescape(" ".join(re.sub(r"<[^>]+>", " ", cell).split()))
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table[0], re.S)
            if "<td" in row]


# --- 1. a refused job form shows its error ------------------------------------------------- -----


@pytest.mark.django_db
def test_a_refused_job_shows_the_error_of_a_field_its_row_has_no_input_for(admin_client,
                                                                           on_20_november):
    response = admin_client.post(JOBS, {"task": "billing_site.heartbeat", "as_of": "junk"})

    assert response.status_code == 400
    note = re.search(r'<p class="errornote">(.*?)</p>', response.content.decode(), re.S)
    assert note and "As of: Enter the date as YYYY-MM-DD, for example 2026-11-16." in (
        html.unescape(note[1]))
    assert not TaskResult.objects.exists()


@pytest.mark.django_db
def test_a_refused_sweep_shows_its_date_error_next_to_the_field_once(admin_client,
                                                                     on_20_november):
    response = admin_client.post(JOBS, {"task": "dunning.sweep", "as_of": "junk"})

    assert response.status_code == 400
    assert text(response).count("Enter the date as YYYY-MM-DD") == 1  # by the field, not twice


# --- 2. unknown job runs, and polling that ends -------------------------------------------- -----


@pytest.mark.django_db
def test_a_job_id_this_site_never_queued_is_404_with_a_message(admin_client, on_20_november):
    page = admin_client.get(status_url("made-up-id"))

    assert page.status_code == 404
    assert "No job run with the id made-up-id is known to this site" in text(page)
    assert 'http-equiv="refresh"' not in page.content.decode()


@pytest.mark.django_db
def test_a_job_still_queued_after_ten_minutes_stops_reloading_with_a_note(admin_client):
    with time_machine.travel(TODAY, tick=False):
        TaskResult.objects.create(task_id="queued-1", task_name="billing_site.heartbeat",
                                  status="PENDING")
        fresh = admin_client.get(status_url("queued-1"))
    assert fresh.status_code == 200 and 'http-equiv="refresh"' in fresh.content.decode()

    with time_machine.travel(TODAY + timedelta(minutes=11), tick=False):
        late = admin_client.get(status_url("queued-1"))
    assert late.status_code == 200
    assert 'http-equiv="refresh"' not in late.content.decode()
    assert "Still waiting after 11 minutes: is the Celery worker running?" in text(late)


@pytest.mark.django_db
def test_a_job_running_for_over_an_hour_stops_reloading_with_a_note(admin_client):
    with time_machine.travel(TODAY, tick=False):
        TaskResult.objects.create(task_id="running-1", task_name="dunning.sweep",
                                  status="STARTED", date_started=TODAY)
    with time_machine.travel(TODAY + timedelta(minutes=61), tick=False):
        late = admin_client.get(status_url("running-1"))
    assert 'http-equiv="refresh"' not in late.content.decode()
    assert "Still running after 61 minutes" in text(late)


# --- 3 and 4. the sweep's report: translated, dates that say what they are ------------------- ---


def dry_run(client, as_of, **headers):
    response = client.post(JOBS, {"task": "dunning.sweep", "as_of": as_of, "dry_run": "on"})
    assert response.status_code == 302
    return client.get(response.url, **headers)


@pytest.mark.django_db
def test_the_dry_run_report_is_in_polish_with_the_choices_labels(admin_client, acme,
                                                                 on_20_november):
    page = dry_run(admin_client, "2026-11-16", HTTP_ACCEPT_LANGUAGE="pl")  # d = 16: suspended

    words = text(page)
    assert "subject change effective" not in words  # the English header of the text report
    assert "e-mail: suspended" not in words and "automations paused" not in words
    rows = report_rows(page, "dry-run-report")
    whats = [row[2] for row in rows]
    assert "aktywne → zawieszone" in whats  # billing phase labels
    assert "automatyzacje wstrzymane" in whats
    assert any("organizacja zawieszona" in what for what in whats)  # the notice kind's label
    assert "Konto" in page.content.decode()  # the header


@pytest.mark.django_db
def test_an_e_mail_row_says_its_date_is_the_seats_valid_until(admin_client, acme,
                                                              on_20_november):
    page = dry_run(admin_client, "2026-11-16")

    rows = {row[2]: row for row in report_rows(page, "dry-run-report")}
    assert rows["e-mail: suspended"][0].startswith("Acme")
    assert rows["e-mail: suspended"][3] == "seats valid until Oct. 31, 2026"
    # the phase change: its own effective day (suspension from d = 15)
    assert rows["active → suspended"][3] == "effective on Nov. 15, 2026"


@pytest.mark.django_db
def test_a_real_runs_stored_report_is_shown_as_the_same_table(admin_client, acme,
                                                              on_20_november):
    response = admin_client.post(JOBS, {"task": "dunning.sweep", "as_of": "2026-11-03"})
    page = admin_client.get(response.url, HTTP_ACCEPT_LANGUAGE="pl")

    assert SweepRun.objects.get().report
    whats = [row[2] for row in report_rows(page, "sweep-report")]
    assert "aktywne → okres karencji" in whats


# --- 5. the preview of a trial past its deletion day ------------------------------------------- -


@pytest.fixture
def trial(make_account):
    account, _admin = make_account("Trial Over", trial=True, as_of=CREATED)
    return account


def preview(client, account, as_of, **headers):
    return client.get(reverse("admin:dunning_account_preview", args=[account.pk]),
                      {"as_of": as_of}, **headers)


@pytest.mark.django_db
def test_the_preview_of_a_trial_past_its_deletion_day_says_it_was_deleted_and_has_no_quote(
        admin_client, trial, on_20_november):
    deletion = trial.trial_ends_on + timedelta(days=30)

    on_the_day = preview(admin_client, trial, deletion.isoformat())
    later = preview(admin_client, trial, (deletion + timedelta(days=5)).isoformat())
    day_before = preview(admin_client, trial, (deletion - timedelta(days=1)).isoformat())

    for page in (on_the_day, later):
        assert page.status_code == 200
        body = page.content.decode()
        assert 'id="preview-deleted"' in body and 'id="quote-gross"' not in body
        assert 'id="preview-phase"' not in body
        day = deletion.strftime("%b. %-d, %Y")
        assert f"The account would have been deleted on {day}" in text(page)
    assert 'id="preview-deleted"' not in day_before.content.decode()
    assert 'id="preview-phase">blocked<' in day_before.content.decode()


@pytest.mark.django_db
def test_the_preview_banner_level_is_translated(admin_client, acme, on_20_november):
    account, _admin, _user = acme
    page = preview(admin_client, account, "2026-11-10", HTTP_ACCEPT_LANGUAGE="pl")  # blocked

    words = text(page)
    assert "(blocked" not in words
    assert "(zablokowane, z linkiem do przedłużenia)" in words


# --- 6. a refused block is always visible ---------------------------------------------------- ---


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user(
        username="finance@vendor.example", email="finance@vendor.example",
        password="pass-Word-123", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="seats",
                                                     codename="add_accesshold"))
    return user


@pytest.mark.django_db
def test_blocking_a_non_contract_account_without_reason_names_the_account(client, acme,
                                                                          finance,
                                                                          on_20_november):
    account, _admin, _user = acme
    client.force_login(finance)

    response = client.post(FINANCE, {"account": account.pk, "action": "block"})

    assert response.status_code == 400
    assert "Acme was not blocked: Give the reason for blocking the account." in text(response)
    assert not AccessHold.objects.exists()


# --- 8. staff get a staff reason ------------------------------------------------------------- ---


@pytest.mark.django_db
def test_staff_without_the_job_permission_get_a_staff_reason(client, staff, acme):
    account, _admin, _user = acme
    client.force_login(staff)

    jobs = client.get(JOBS)
    timeline = client.get(reverse("admin:dunning_account_timeline", args=[account.pk]))

    assert jobs.status_code == 403 and CUSTOMER_WORDING not in text(jobs)
    assert "You do not have the permission to see the billing jobs and their runs." in (
        text(jobs))
    assert "Ask a superuser to grant you one of these permissions:" in text(jobs)
    assert "django_celery_beat.change_periodictask" in text(jobs)
    assert timeline.status_code == 403 and "seats.view_account" in text(timeline)

    staff.user_permissions.add(Permission.objects.get(codename="view_taskresult"))
    client.force_login(staff.__class__.objects.get(pk=staff.pk))
    refused_run = client.post(JOBS, {"task": "billing_site.heartbeat"})
    assert refused_run.status_code == 403
    assert "You do not have the permission to run billing jobs." in text(refused_run)


@pytest.mark.django_db
def test_non_finance_staff_get_a_staff_reason_on_the_contracts_page(client, staff, acme):
    account, admin, _user = acme
    client.force_login(staff)

    page = client.get(FINANCE)
    post = client.post(FINANCE, {"account": account.pk, "action": "unblock"})

    for response in (page, post):
        assert response.status_code == 403 and CUSTOMER_WORDING not in text(response)
        assert ("You do not have the permission to block and unblock contract accounts; ask a "
                "superuser to grant “Can add access hold” (seats.add_accesshold).") in (
            text(response))
    # a customer's member still gets the shared page
    client.force_login(admin.user)
    with time_machine.travel(datetime(2026, 10, 28, 12, tzinfo=WARSAW), tick=False):
        assert client.get(FINANCE).status_code == 403


@pytest.mark.django_db
def test_job_states_are_in_the_users_language(admin_client, on_20_november):
    response = admin_client.post(JOBS, {"task": "billing_site.heartbeat"})

    page = admin_client.get(response.url, HTTP_ACCEPT_LANGUAGE="pl")
    jobs = admin_client.get(JOBS, HTTP_ACCEPT_LANGUAGE="en")

    state = re.search(r'id="job-state">(.*?)</span>', page.content.decode())[1]
    assert state != "SUCCESS"  # a label from the catalogue (the code is shown beside it)
    assert re.search(r'title="SUCCESS">succeeded</span>', jobs.content.decode())


def test_every_scheduled_job_has_a_translatable_description(admin_client):
    """Issue 14 QA: the support jobs showed their English schedule names on the Polish page;
    every job of `PERIODIC_TASKS` needs an entry in the catalogue-backed descriptions."""
    from billing_site.schedules import PERIODIC_TASKS
    from dunning.services.jobs import JOB_DESCRIPTIONS

    tasks = {task for task, _crontab in PERIODIC_TASKS.values()}
    assert tasks - set(JOB_DESCRIPTIONS) == set()
    page = admin_client.get(JOBS).content.decode()
    assert "Support plans: mark tickets past their reaction deadline as breached" in page
    assert "(every 5 minutes)" not in page  # the schedule names are not shown any more
