"""Staff start pages and menus (issue 12, item 6): each demo staff group lands on its own page at
login and at "/", sees only the menu entries its permissions open, and a staff 403 speaks to
staff. The groups are the demo's own (`load_demo`), so the test follows what the demo grants."""

import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from demo.management.commands.load_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

CUSTOMER_WORDING = "Only administrators of the organisation"


def text(response):
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split()))


def menu(response):
    """The data-area keys of the staff menu, in order."""
    body = response.content.decode()
    nav = re.search(r'<nav[^>]*data-testid="staff-nav".*?</nav>', body, re.S)
    assert nav, "no staff menu"
    return re.findall(r'data-area="([a-z]+)"', nav[0])


@pytest.fixture
def demo(catalogue):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def staff_login(client, group):
    email = f"{group}@vendor.example"
    response = client.post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, text(response)
    return response


@pytest.mark.parametrize(("group", "start", "entries"), [
    ("finance", "/finance/documents/",
     ["documents", "contracts", "transfers", "refunds", "accounts", "rates", "admin"]),
    ("ops", "/admin/dunning/jobs/", ["jobs", "accounts", "rates", "admin"]),
    ("support", "/support/queue/", ["support", "accounts", "admin"]),
])
def test_each_staff_group_lands_on_its_start_page_with_its_menu(client, demo, group, start,
                                                                entries):
    login = staff_login(client, group)
    assert client.get(login["Location"]).url == start  # login → "/" → the group's page
    assert client.get("/").url == start

    page = client.get(start) if not start.startswith("/admin/") else client.get("/staff/")
    assert page.status_code == 200
    assert menu(page) == entries
    assert "This login does not belong to an organisation" not in text(page)
    for key in entries:  # every entry opens for this login
        link = re.search(rf'<a data-area="{key}" href="([^"]+)"', page.content.decode())[1]
        assert client.get(link).status_code == 200, (group, link)


def test_support_start_page_leads_to_the_ticket_queue(client, demo):
    staff_login(client, "support")
    response = client.get("/staff/")
    page = text(response)
    assert "The queue lists open tickets with the nearest reaction deadline first" in page
    assert 'href="/support/queue/">Open the ticket queue</a>' in response.content.decode()
    assert "What you can open" in page and "Accounts" in page and "Support queue" in page
    assert "Documents" not in page and "Jobs" not in page
    # and, from the admin's own permission checks, the models support may look at
    assert "In the administration" in page
    models = client.get("/staff/").content.decode()
    assert reverse("admin:seats_account_changelist") in models
    assert reverse("admin:invoices_document_changelist") not in models


def test_a_superuser_lands_on_the_staff_start_page_and_sees_every_entry(admin_client):
    assert admin_client.get("/").url == "/staff/"
    page = admin_client.get("/staff/")
    assert menu(page) == ["documents", "contracts", "transfers", "refunds", "jobs", "support",
                          "accounts", "rates", "admin"]


def test_the_menu_follows_permissions_not_group_names(client, demo):
    support = get_user_model().objects.get(username="support@vendor.example")
    support.user_permissions.add(
        *Group.objects.get(name="ops").permissions.filter(codename="view_taskresult"))
    client.force_login(support)
    assert client.get("/").url == "/admin/dunning/jobs/"
    assert "jobs" in menu(client.get("/staff/"))


def test_a_members_start_page_is_unchanged(client, make_account, make_member):
    account, admin = make_account("Acme")
    user = make_member(account, "user@acme.example")
    client.force_login(admin.user)
    assert client.get("/").url == reverse("account_users")
    client.force_login(user.user)
    response = client.get("/")
    assert response.status_code == 200 and "Welcome to Acme" in text(response)


# --- the 403 page for staff ---------------------------------------------------------------------


def test_a_staff_403_without_a_message_uses_the_staff_wording(client, demo):
    staff_login(client, "support")
    response = client.get(reverse("finance_documents"))  # finance only, no message
    assert response.status_code == 403
    assert CUSTOMER_WORDING not in text(response)
    assert "belongs to another staff group's work" in text(response)
    assert "ask a superuser to grant the permission" in text(response)


def test_a_staff_403_with_a_message_names_what_is_missing(demo, rf):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    support = get_user_model().objects.get(username="support@vendor.example")
    request = rf.get("/finance/refunds/")
    request.user, request.member = support, None
    response = permission_denied(
        request, PermissionDenied("Only finance staff can refund payments."))
    body = text(response)
    assert CUSTOMER_WORDING not in body
    assert "does not have the permission this page needs: Only finance staff can refund " \
           "payments." in body


def test_a_members_403_keeps_the_customer_wording(client, make_account, make_member):
    account, _admin = make_account("Acme")
    user = make_member(account, "user@acme.example")
    client.force_login(user.user)
    response = client.get(reverse("account_users"))
    assert response.status_code == 403 and CUSTOMER_WORDING in text(response)
