"""The demo's support plans (issue 14): a START contract with its contact, an EMAIL contract,
tickets and time entries, the support login with its permissions, printed with the logins."""

from datetime import date
from io import StringIO

import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command

from support_plans.models import SupportContract, Ticket, TimeEntry
from support_plans.permissions import is_support_staff

from .test_load_demo import demo  # noqa: F401 - the fixture


def test_demo_has_start_and_email_contracts_with_tickets_and_time(demo):  # noqa: F811
    start = SupportContract.objects.get(plan__code="START")
    assert (start.account.name, start.contact.email) == ("Acme Sp. z o.o.", "admin@acme.example")
    assert SupportContract.objects.get(plan__code="EMAIL").account.name == "Kontrakt S.A."
    tickets = Ticket.objects.filter(contract=start)
    assert tickets.count() == 3
    assert tickets.filter(first_response_at__isnull=False).count() == 1
    assert {e.channel for e in TimeEntry.objects.filter(contract=start)} == {
        "remote", "phone", "email"}


def test_demo_support_login_works_the_queue(demo):  # noqa: F811
    support = get_user_model().objects.get(username="support@vendor.example")
    assert is_support_staff(support)
    assert support.has_perm("support_plans.view_ticket")
    assert support.has_perm("support_plans.add_supportsettlement")


def test_demo_prints_the_support_contracts_and_stays_idempotent(demo):  # noqa: F811
    out = StringIO()
    with time_machine.travel(date(2026, 11, 22), tick=False):
        call_command("load_demo", stdout=out)
    assert "START    Acme Sp. z o.o., contact person admin@acme.example" in out.getvalue()
    assert "support  support@vendor.example" in out.getvalue()
    assert SupportContract.objects.count() == 2 and Ticket.objects.count() == 3
