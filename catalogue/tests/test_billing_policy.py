"""The billing policy (catalogue.models.BillingPolicy): one row of the SPEC §5–6 numbers, seeded by
its migration, read with `current()`, checked by database constraints, edited in the admin."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalogue.models import BillingPolicy
from plans import pricing

pytestmark = pytest.mark.django_db

SPEC_DEFAULTS = {
    "banner_lead_days": 7,
    "grace_days": 7,
    "blocked_through_day": 14,
    "renewal_paid_grace_days": 14,
    "trial_days": 14,
    "trial_deletion_days": 30,
    "trial_max_seats": 25,
    "recurring_charge_lead_days": 1,
    "charge_retry_1_days": 1,
    "charge_retry_2_days": 3,
    "charge_retry_3_days": 5,
    "contract_payment_days": 14,
    "contract_reminder_1_days": 1,
    "contract_reminder_2_days": 7,
    "contract_reminder_3_days": 14,
}
SEED = importlib.import_module("catalogue.migrations.0002_billing_policy").seed_policy


def values(policy):
    return {name: getattr(policy, name) for name in SPEC_DEFAULTS}


@pytest.fixture
def row():
    """The seeded row (a transactional test before this one may have flushed it: seed again)."""
    SEED(apps, None)
    return BillingPolicy.objects.get()


def save(**changes):
    policy = BillingPolicy.current()
    for name, value in changes.items():
        setattr(policy, name, value)
    with transaction.atomic():
        policy.save()


# --- defaults, seed and current() -------------------------------------------------------------


def test_defaults_are_the_spec_numbers():
    policy = BillingPolicy()
    assert values(policy) == SPEC_DEFAULTS
    assert policy.charge_retry_days == (1, 3, 5)
    assert policy.contract_reminder_days == (1, 7, 14)


def test_the_renewal_paid_grace_default_is_the_pricing_default():
    assert BillingPolicy().renewal_paid_grace_days == pricing.GRACE_PAID_DAYS


def test_trial_days_default_follows_the_trial_days_setting(settings):
    settings.TRIAL_DAYS = 21
    assert BillingPolicy().trial_days == 21


def test_the_migration_seeds_one_row_with_the_defaults(row):
    assert row.pk == BillingPolicy.SINGLETON_ID
    assert values(row) == SPEC_DEFAULTS


def test_seeding_again_leaves_an_edited_row_alone(row):
    save(grace_days=5)
    SEED(apps, None)
    assert BillingPolicy.objects.count() == 1
    assert BillingPolicy.objects.get().grace_days == 5


def test_current_returns_the_row(row):
    save(renewal_paid_grace_days=10)
    assert BillingPolicy.current().renewal_paid_grace_days == 10


def test_current_without_the_row_returns_unsaved_defaults_and_writes_nothing(
        django_assert_num_queries):
    BillingPolicy.objects.all().delete()
    with django_assert_num_queries(1):
        policy = BillingPolicy.current()
    assert values(policy) == SPEC_DEFAULTS
    assert policy._state.adding is True
    assert not BillingPolicy.objects.exists()


def test_from_values_fills_missing_numbers_with_the_defaults():
    policy = BillingPolicy.from_values({"policy_grace_days": 4, "policy_blocked_through_day": None,
                                        "valid_until": "ignored"})
    assert (policy.grace_days, policy.blocked_through_day) == (4, 14)


def test_subqueries_read_the_row_inside_another_query(row):
    save(grace_days=4)
    [got] = BillingPolicy.objects.annotate(
        **BillingPolicy.subqueries(["grace_days"], prefix="p_")).values("p_grace_days")
    assert got == {"p_grace_days": 4}


# --- invariants -------------------------------------------------------------------------------


def test_there_is_only_one_row(row):
    with pytest.raises(IntegrityError), transaction.atomic():
        BillingPolicy.objects.create(id=2)


@pytest.mark.parametrize(("changes", "constraint"), [
    ({"grace_days": 14}, "billing_policy_grace_before_blocked_end"),
    ({"grace_days": 9, "blocked_through_day": 8, "renewal_paid_grace_days": 14},
     "billing_policy_grace_before_blocked_end"),
    ({"renewal_paid_grace_days": 6}, "billing_policy_renewal_pays_grace"),
    ({"charge_retry_2_days": 1}, "billing_policy_retries_ordered_in_grace"),
    ({"charge_retry_3_days": 3}, "billing_policy_retries_ordered_in_grace"),
    # the last retry after the grace window: charged 1 day before the end, 7 days of grace
    ({"charge_retry_3_days": 9}, "billing_policy_retries_ordered_in_grace"),
    ({"contract_reminder_2_days": 14}, "billing_policy_reminders_ordered"),
    ({"trial_days": 0}, "billing_policy_ranges"),
    ({"trial_deletion_days": 0}, "billing_policy_ranges"),
    ({"blocked_through_day": 91, "renewal_paid_grace_days": 14}, "billing_policy_ranges"),
    ({"contract_payment_days": 0}, "billing_policy_ranges"),
])
def test_the_database_refuses_inconsistent_numbers(row, changes, constraint):
    with pytest.raises(IntegrityError, match=constraint):
        save(**changes)


def test_the_last_retry_may_fall_on_the_last_grace_day(row):
    save(charge_retry_3_days=8)  # charged on d = −1, retried on d = 7
    assert BillingPolicy.current().charge_retry_days == (1, 3, 8)


def test_full_clean_explains_an_inconsistent_policy(row):
    policy = BillingPolicy.current()
    policy.renewal_paid_grace_days = 5
    with pytest.raises(ValidationError, match="cannot be shorter than the grace period"):
        policy.full_clean()


# --- admin ------------------------------------------------------------------------------------

CHANGE = "/admin/catalogue/billingpolicy/1/change/"


def form_data(policy, **changes):
    return {**values(policy), **changes}


def test_admin_list_shows_the_one_row_linking_to_its_form(row, admin_client):
    response = admin_client.get("/admin/catalogue/billingpolicy/")
    assert response.status_code == 200
    assert f'href="{CHANGE}"' in response.content.decode()


def test_admin_cannot_add_a_second_row_nor_delete_it(row, admin_client):
    assert admin_client.get("/admin/catalogue/billingpolicy/add/").status_code == 403
    assert admin_client.get(f"{CHANGE[:-7]}delete/").status_code == 403
    assert BillingPolicy.objects.count() == 1


def test_admin_can_add_the_row_when_it_is_missing(admin_client):
    BillingPolicy.objects.all().delete()
    response = admin_client.post("/admin/catalogue/billingpolicy/add/",
                                 form_data(BillingPolicy(), grace_days=6))
    assert response.status_code == 302
    assert BillingPolicy.objects.get().grace_days == 6


def test_admin_edits_the_numbers(row, admin_client):
    response = admin_client.post(CHANGE, form_data(row, grace_days=5, blocked_through_day=12))
    assert response.status_code == 302
    assert (BillingPolicy.current().grace_days, BillingPolicy.current().blocked_through_day) \
        == (5, 12)


def test_admin_refuses_an_inconsistent_edit_with_the_reason(row, admin_client):
    response = admin_client.post(CHANGE, form_data(row, grace_days=14))
    assert response.status_code == 200
    assert "The grace period must end before the blocked phase does." in response.content.decode()
    assert BillingPolicy.current().grace_days == 7
