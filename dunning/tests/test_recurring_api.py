"""`GET/POST /api/v1/accounts/{id}/recurring/` and the Renew page's "Recurring payments" card
(issue 11): admins only, tenant-scoped, errors in the project's JSON shape; turning off e-mails
the admins the validity end."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from rest_framework.test import APIClient

from dunning.models import Notice, NoticeKind
from invoices.tests import billing_profile
from payments import gateway
from payments.models import SavedCard
from payments.services import payment_online_start
from plans import services as plan_services
from seats import services as seat_services
from seats.models import Member, MemberRole

from .recurring_helpers import CREATED, VALID_UNTIL, account_with_card

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "catalogue")]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 12, 10, 12, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


@pytest.fixture
def acme():
    return account_with_card("Acme")


def admin_of(account):
    return Member.objects.get(account=account, role=MemberRole.ADMIN).user


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(account):
    return f"/api/v1/accounts/{account.pk}/recurring/"


def test_admin_reads_the_card_the_period_and_the_next_charge(acme):
    response = api(admin_of(acme)).get(url(acme))
    assert response.status_code == 200
    assert response.json() == {
        "enabled": True,
        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034},
        "billing_period": "monthly",
        "next_charge_on": "2026-12-30",
    }


def test_admin_turns_it_off_and_the_admins_get_the_validity_end_by_email(
        acme, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(admin_of(acme)).post(url(acme), {"enabled": False}, format="json")
    assert response.status_code == 200
    assert response.json()["enabled"] is False and response.json()["next_charge_on"] is None
    assert not SavedCard.objects.get(account=acme).recurring
    notice = Notice.objects.get(account=acme, kind=NoticeKind.RECURRING_OFF)
    assert notice.about_date == VALID_UNTIL and notice.sent_at
    [mail] = mailoutbox
    assert mail.to == ["boss@acme.example"]
    assert "recurring payments turned off" in mail.subject
    assert "The seats stay valid until Dec. 31, 2026" in mail.body
    assert "from Jan. 8, 2027 only administrators can log in" in mail.body
    # on again, off again: a second e-mail (each change has its own notice)
    with django_capture_on_commit_callbacks(execute=True):
        assert api(admin_of(acme)).post(url(acme), {"enabled": True},
                                        format="json").json()["enabled"] is True
        api(admin_of(acme)).post(url(acme), {"enabled": False}, format="json")
    assert len(mailoutbox) == 2


def test_turning_on_without_a_saved_card_is_refused_with_a_clear_message(make_account):
    account, admin = make_account("Initech", as_of=CREATED)
    response = api(admin.user).post(url(account), {"enabled": True}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "no_saved_card"
    assert body["detail"].startswith("There is no saved card to charge.")
    assert api(admin.user).get(url(account)).json() == {
        "enabled": False, "card": None, "billing_period": "monthly", "next_charge_on": None}


def test_a_manager_gets_403_and_changes_nothing(acme):
    manager = seat_services.member_invite(account=acme, email="manager@acme.example",
                                          role=MemberRole.MANAGER, actor=None, as_of=CREATED)
    assert api(manager.user).get(url(acme)).status_code == 403
    assert api(manager.user).post(url(acme), {"enabled": False},
                                  format="json").status_code == 403
    assert SavedCard.objects.get(account=acme).recurring


def test_another_tenants_admin_gets_404(acme, make_account):
    _other, other_admin = make_account("Globex", as_of=CREATED)
    assert api(other_admin.user).get(url(acme)).status_code == 404
    assert api(other_admin.user).post(url(acme), {"enabled": False},
                                      format="json").status_code == 404
    assert SavedCard.objects.get(account=acme).recurring


@pytest.mark.parametrize("body", [{}, {"enabled": "maybe"}, {"enabled": None},
                                  {"enabled": "yes"}, {"enabled": "false"}, {"enabled": 0},
                                  {"enabled": 1}, [], "on"])
def test_a_bad_body_is_a_400_in_the_projects_shape(acme, body):
    response = api(admin_of(acme)).post(url(acme), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert SavedCard.objects.get(account=acme).recurring  # nothing switched


def test_the_schema_documents_the_recurring_operations(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "/api/v1/accounts/{account_id}/recurring/:" in text
    assert "account_recurring_set" in text and "next_charge_on" in text


# --- the Renew page -----------------------------------------------------------------------------


def test_the_renew_page_shows_the_card_and_turns_recurring_off_and_on(
        acme, client, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(admin_of(acme))
    page = client.get("/account/renew/").content.decode()
    assert 'id="recurring-payments"' in page
    assert "Saved card: Visa ending in 4242, expires 12/2034." in page
    assert "Recurring payments are on" in page and "Next charge: Dec. 30, 2026." in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/renew/recurring/", {"enabled": "0"}, follow=True)
    page = response.content.decode()
    assert "Recurring payments are off. Your seats stay valid until Dec. 31, 2026" in page
    assert "Turn on recurring payments" in page
    assert not SavedCard.objects.get(account=acme).recurring
    assert len(mailoutbox) == 1

    response = client.post("/account/renew/recurring/", {"enabled": "1"}, follow=True)
    assert "Recurring payments are on: each renewal is charged" in response.content.decode()
    assert SavedCard.objects.get(account=acme).recurring


def test_the_renew_page_without_a_card_explains_how_to_save_one(make_account, client):
    account, admin = make_account("Initech", as_of=CREATED)
    client.force_login(admin.user)
    page = client.get("/account/renew/").content.decode()
    assert "No card is saved." in page
    polish = client.get("/account/renew/", HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "Nie zapisano żadnej karty." in polish  # QA: the escaped quotes kept it English
    response = client.post("/account/renew/recurring/", {"enabled": "1"}, follow=True)
    assert "There is no saved card to charge." in response.content.decode()


def test_a_manager_cannot_toggle_on_the_page(acme, client):
    manager = seat_services.member_invite(account=acme, email="manager@acme.example",
                                          role=MemberRole.MANAGER, actor=None, as_of=CREATED)
    client.force_login(manager.user)
    assert client.post("/account/renew/recurring/", {"enabled": "0"}).status_code == 403
    assert SavedCard.objects.get(account=acme).recurring


def test_paying_with_enable_recurring_payments_saves_the_card_and_turns_recurring_on(
        make_account):
    account, admin = make_account("Initech", as_of=CREATED)
    billing_profile(account)
    order = plan_services.renewal_order_create(account=account, until=(2026, 12),
                                               actor=admin.user, as_of=date(2026, 12, 10))
    method = gateway.client().v1.payment_methods.create(params={
        "type": "card", "card": {"number": "5555555555554444", "exp_month": 3,
                                 "exp_year": 2031, "cvc": "123"}})
    payment = payment_online_start(order=order, method="card", payment_method=method.id,
                                   save_card=True, actor=admin.user, as_of=date(2026, 12, 10))
    assert payment.status == "succeeded"
    response = api(admin.user).get(url(account)).json()
    assert response["enabled"] is True
    # (localstripe calls every card "visa")
    assert {k: v for k, v in response["card"].items() if k != "brand"} == {
        "last4": "4444", "exp_month": 3, "exp_year": 2031}
