"""Support plans in the admin (issue 14): tiers editable, contracts ordered through the service,
the read-only rows, "Settle a month"."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from invoices.tests import billing_profile
from support_plans.models import SupportContract, SupportPlan, SupportSettlement

NOV = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def december():
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        yield


def test_every_field_of_a_tier_is_editable(admin_client, tiers):
    start = tiers["START"]
    page = admin_client.get(f"/admin/support_plans/supportplan/{start.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    editable = {f.name for f in SupportPlan._meta.fields if f.editable and not f.primary_key}
    assert editable <= set(form.fields)
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    data.update({"monthly_fee": "419.00", "hourly_rate": "170.00"})
    response = admin_client.post(f"/admin/support_plans/supportplan/{start.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    start.refresh_from_db()
    assert (str(start.monthly_fee), str(start.hourly_rate)) == ("419.00", "170.00")


def test_a_contract_is_ordered_through_the_service(admin_client, tiers, acme, premium_acme):
    account, admin = acme
    seeded = admin_client.post("/admin/support_plans/supportcontract/add/", {
        "account": account.pk, "plan": tiers["PREMIUM"].pk, "start": "2026-12-01",
        "contact": admin.pk})
    assert seeded.status_code == 200
    assert "has no agreed terms yet" in seeded.content.decode()
    response = admin_client.post("/admin/support_plans/supportcontract/add/", {
        "account": account.pk, "plan": premium_acme.pk, "start": "2026-12-01",
        "contact": admin.pk})
    assert response.status_code == 302
    contract = SupportContract.objects.get()
    assert contract.plan.code == "PREMIUM-ACME"
    assert contract.plan_history.count() == 1  # the service wrote its history row too


def test_the_contract_add_form_shows_the_services_refusal(admin_client, tiers, acme,
                                                          make_account):
    account, _admin = acme
    _other, stranger = make_account("Other")
    response = admin_client.post("/admin/support_plans/supportcontract/add/", {
        "account": account.pk, "plan": tiers["START"].pk, "start": "2026-12-01",
        "contact": stranger.pk})
    assert response.status_code == 200
    assert "must be an active member of this account" in response.content.decode()
    assert not SupportContract.objects.exists()


def test_settle_a_month_from_the_admin(admin_client, order, acme):
    billing_profile(acme[0])
    order("START", NOV)
    page = admin_client.get("/admin/support_plans/supportsettlement/")
    assert "/admin/support_plans/supportsettlement/settle/" in page.content.decode()
    response = admin_client.post("/admin/support_plans/supportsettlement/settle/",
                                 {"month": "2026-11"}, follow=True)
    assert "1 invoiced" in response.content.decode()
    assert SupportSettlement.objects.get().document is not None


@pytest.mark.parametrize(("month", "message"), [
    ("2026-13", "Enter the month as YYYY-MM"),
    ("11.2026", "Enter the month as YYYY-MM"),
    ("2026-12", "settled once it is over"),
])
def test_settle_refuses_a_bad_month(admin_client, month, message):
    response = admin_client.post("/admin/support_plans/supportsettlement/settle/",
                                 {"month": month})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_settle_needs_the_permission(client, django_user_model):
    user = django_user_model.objects.create_user(username="ops@vendor.example",
                                                 password="pass-Word-123", is_staff=True)
    client.force_login(user)
    assert client.get("/admin/support_plans/supportsettlement/settle/").status_code == 403


@pytest.mark.parametrize("model", ["ticket", "timeentry", "supportsettlement"])
def test_rows_written_by_services_are_read_only(admin_client, db, model):
    assert admin_client.get(f"/admin/support_plans/{model}/").status_code == 200
    assert admin_client.get(f"/admin/support_plans/{model}/add/").status_code == 403


def test_the_account_timeline_names_support_actions_and_targets(admin_client, order, acme):
    """Issue 14 QA: the timeline showed `ticket.open` and `support_plans.ticket #10`."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.urls import reverse

    from support_plans import services

    contract = order("START")
    waw = ZoneInfo("Europe/Warsaw")
    ticket = services.ticket_open(contract=contract, received_at=datetime(2026, 11, 16, 9,
                                                                          tzinfo=waw),
                                  channel="email", kind="bug", reporter=acme[1], actor=None,
                                  now=datetime(2026, 11, 16, 10, tzinfo=waw))
    body = admin_client.get(reverse("admin:dunning_account_timeline",
                                    args=[acme[0].pk])).content.decode()
    assert "Support ticket filed" in body and f"ticket #{ticket.pk}" in body
    assert "Support plan ordered" in body and f"support contract #{contract.pk}" in body
    assert "ticket.open" not in body and "support_plans.ticket" not in body
