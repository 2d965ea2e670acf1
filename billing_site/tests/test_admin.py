"""Every model is in the Django admin, and its list page works with search and filters."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

PROJECT_APPS = {"billing_site", "catalogue", "seats", "plans", "invoices", "payments", "dunning",
                "support_plans"}


@pytest.fixture
def superuser_client(client, make_account, make_member):
    account, _admin = make_account("Admin Co", extra_seats=1)
    make_member(account, "u@admin-co.example")
    root = get_user_model().objects.create_superuser("root@x.example", "root@x.example", "pw")
    client.force_login(root)
    return client


def project_models():
    from django.apps import apps

    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def test_every_project_model_is_registered_in_the_admin():
    missing = [m._meta.label for m in project_models() if m not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", project_models(), ids=lambda m: m._meta.label)
def test_admin_list_page_renders_with_search(superuser_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    model_admin = admin.site._registry[model]
    response = superuser_client.get(url, {"q": "admin"} if model_admin.search_fields else {})
    assert response.status_code == 200


def test_seat_admin_filters_by_removal(superuser_client):
    url = reverse("admin:seats_seat_changelist")
    response = superuser_client.get(url, {"removed_on__isnull": "True"})
    assert response.status_code == 200
    assert "Admin Co" in response.content.decode()


def test_audit_entries_cannot_be_edited_in_the_admin(superuser_client):
    from seats.models import AuditEntry

    entry = AuditEntry.objects.first()
    url = reverse("admin:seats_auditentry_change", args=[entry.pk])
    response = superuser_client.post(url, {"action": "forged"})
    entry.refresh_from_db()
    assert entry.action != "forged"
    assert response.status_code == 403


def test_staff_switch_an_annual_account_to_monthly_with_an_admin_action(superuser_client):
    from seats.models import Account, AuditEntry

    account = Account.objects.get(name="Admin Co")
    Account.objects.filter(pk=account.pk).update(billing_period="annual")
    response = superuser_client.post(reverse("admin:seats_account_changelist"), {
        "action": "switch_to_monthly_billing", "_selected_action": [account.pk],
    })
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.billing_period == "monthly"
    assert AuditEntry.objects.filter(action="account.billing_period", account=account).exists()


def test_switching_an_account_already_monthly_reports_it_and_changes_nothing(superuser_client):
    from seats.models import Account

    account = Account.objects.get(name="Admin Co")
    response = superuser_client.post(reverse("admin:seats_account_changelist"), {
        "action": "switch_to_monthly_billing", "_selected_action": [account.pk],
    }, follow=True)
    assert "already" in response.content.decode()
    account.refresh_from_db()
    assert account.billing_period == "monthly"
