"""Fixtures of the support-plan tests: the SPEC §8 tiers, an account whose admin is the contact
person, contracts ordered through the service at fixed dates."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group

from support_plans import services
from support_plans.defaults import seed_support_plans
from support_plans.models import SupportPlan

WAW = ZoneInfo("Europe/Warsaw")
AS_OF = date(2026, 11, 16)  # a Monday


def at(*args):
    """An aware Europe/Warsaw datetime."""
    return datetime(*args, tzinfo=WAW)


@pytest.fixture
def tiers(db):
    """code → `SupportPlan` of the SPEC §8 table (seeded idempotently: a transactional test's
    flush wipes the migration's rows)."""
    seed_support_plans(SupportPlan, Group)
    return {plan.code: plan for plan in SupportPlan.objects.all()}


@pytest.fixture
def acme(make_account):
    """(account, admin) of "Acme"; the admin is the contract's contact in these tests."""
    return make_account("Acme")


@pytest.fixture
def order(tiers, acme):
    """order(code="START", start=AS_OF, account=acme, contact=its admin, as_of=start) → the
    contract, ordered through `contract_order` by staff (so any start date is allowed)."""

    def _order(code="START", start=AS_OF, *, account=None, contact=None, as_of=None,
               actor=None):
        account = account or acme[0]
        contact = contact or (acme[1] if account.pk == acme[0].pk else None)
        return services.contract_order(account=account, plan=tiers[code], start=start,
                                       contact=contact, actor=actor,
                                       as_of=as_of or start)

    return _order


@pytest.fixture
def premium_acme(tiers):
    """Acme's own copy of PREMIUM with agreed terms (the seeded row holds placeholders, fee 0,
    and cannot be ordered)."""
    plan = SupportPlan.objects.get(code="PREMIUM")  # a fresh instance: tiers keeps the seeded
    plan.pk = None
    plan.code, plan.name, plan.monthly_fee = "PREMIUM-ACME", "Premium Acme", "2500.00"
    plan.save()
    return plan
