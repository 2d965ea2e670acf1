"""Support contracts (SPEC §8): ordering, the minimum term, cancellation, plan changes."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from billing_site.errors import DomainError
from seats.models import AuditEntry, MemberRole
from support_plans import selectors, services
from support_plans.models import ContractStatus, SupportContract

from .conftest import AS_OF


def test_order_sets_the_minimum_term_end_inclusive(order):
    contract = order("START", date(2026, 12, 1))
    assert contract.minimum_end == date(2027, 2, 28)  # 3 months: Dec, Jan, Feb
    assert contract.status == ContractStatus.ACTIVE
    assert AuditEntry.objects.filter(action="support_contract.order",
                                     target_id=contract.pk).exists()


def test_minimum_term_is_end_of_month_safe(order):
    contract = order("STANDARD", date(2027, 8, 31))
    # the day before the start (30 Aug) six months later: 30 Feb 2028 clipped to the 29th
    assert contract.minimum_end == date(2028, 2, 29)
    assert services.minimum_end_for(date(2027, 3, 31), 1) == date(2027, 4, 30)
    assert services.minimum_end_for(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert services.minimum_end_for(date(2026, 12, 1), 3) == date(2027, 2, 28)
    assert services.minimum_end_for(date(2026, 11, 16), 3) == date(2027, 2, 15)


def test_plan_without_minimum_term_has_no_minimum_end(order):
    assert order("COMMUNITY").minimum_end is None


def test_contact_must_be_an_active_member_of_the_account(tiers, acme, make_account):
    _other, stranger = make_account("Other")
    with pytest.raises(DomainError) as exc:
        services.contract_order(account=acme[0], plan=tiers["START"], start=AS_OF,
                                contact=stranger, actor=None, as_of=AS_OF)
    assert exc.value.code == "contact_not_member" and exc.value.field == "contact"
    assert not SupportContract.objects.exists()


def test_one_running_contract_per_account(order):
    order("START")
    with pytest.raises(DomainError) as exc:
        order("EMAIL")
    assert exc.value.code == "contract_exists" and exc.value.status == 409
    assert SupportContract.objects.count() == 1


def test_the_database_allows_one_running_contract_per_account(order):
    contract = order("START")
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportContract.objects.create(account=contract.account, plan=contract.plan,
                                       start=AS_OF, contact=contract.contact)


def test_customers_cannot_order_an_individual_plan(tiers, acme, staff, premium_acme):
    account, admin = acme
    with pytest.raises(DomainError) as exc:
        services.contract_order(account=account, plan=premium_acme, start=AS_OF,
                                contact=admin, actor=admin.user, as_of=AS_OF)
    assert exc.value.code == "plan_not_orderable"
    contract = services.contract_order(account=account, plan=premium_acme, start=AS_OF,
                                       contact=admin, actor=staff, as_of=AS_OF)
    assert contract.plan.code == "PREMIUM-ACME"


def test_an_individual_plan_without_agreed_terms_is_refused_even_to_staff(tiers, acme, staff,
                                                                          order):
    account, admin = acme
    with pytest.raises(DomainError) as exc:
        services.contract_order(account=account, plan=tiers["PREMIUM"], start=AS_OF,
                                contact=admin, actor=staff, as_of=AS_OF)
    assert exc.value.code == "plan_terms_not_set"
    assert "“Save as new”" in str(exc.value.message)
    assert not SupportContract.objects.exists()
    contract = order("START")
    with pytest.raises(DomainError) as change:
        services.contract_change_plan(contract=contract, plan=tiers["PREMIUM"], actor=staff,
                                      as_of=AS_OF)
    assert change.value.code == "plan_terms_not_set"


def test_customers_cannot_start_a_contract_in_the_past(tiers, acme):
    account, admin = acme
    with pytest.raises(DomainError) as exc:
        services.contract_order(account=account, plan=tiers["START"], start=date(2026, 11, 1),
                                contact=admin, actor=admin.user, as_of=AS_OF)
    assert exc.value.code == "start_past"


def test_cancellation_takes_effect_no_earlier_than_the_minimum_term_end(order):
    contract = order("START", date(2026, 12, 1))
    assert services.contract_cancel_effective(contract=contract, as_of=date(2026, 12, 10)) \
        == date(2027, 2, 28)
    contract = services.contract_cancel(contract=contract, actor=None, as_of=date(2026, 12, 10))
    assert contract.status == ContractStatus.CANCELLED
    assert contract.ends_on == date(2027, 2, 28)


@pytest.mark.parametrize(("as_of", "ends_on"), [
    (date(2026, 12, 20), date(2027, 3, 31)),  # the QA case: the term ends 19 March 2027
    (date(2027, 3, 19), date(2027, 3, 31)),   # on the term's last day
    (date(2027, 3, 20), date(2027, 3, 31)),   # the day after it: this month's end
    (date(2027, 4, 1), date(2027, 4, 30)),
])
def test_cancellation_ends_with_the_month_in_which_the_minimum_term_ends(order, as_of, ends_on):
    contract = order("START", date(2026, 12, 20))
    assert contract.minimum_end == date(2027, 3, 19)
    assert services.contract_cancel_effective(contract=contract, as_of=as_of) == ends_on


def test_cancelling_before_the_start_ends_with_the_minimum_terms_month(order):
    contract = order("START", date(2026, 12, 20), as_of=AS_OF)
    contract = services.contract_cancel(contract=contract, actor=None, as_of=AS_OF)
    assert (contract.status, contract.ends_on) == (ContractStatus.CANCELLED, date(2027, 3, 31))


def test_cancellation_after_the_minimum_term_ends_with_the_current_month(order):
    contract = order("START", date(2026, 12, 1))
    assert services.contract_cancel_effective(contract=contract, as_of=date(2027, 4, 10)) \
        == date(2027, 4, 30)


def test_cancellation_without_minimum_term_ends_with_the_current_month(order):
    contract = order("COMMUNITY", AS_OF)
    contract = services.contract_cancel(contract=contract, actor=None, as_of=AS_OF)
    assert contract.ends_on == date(2026, 11, 30)


def test_cancelling_twice_is_refused(order):
    contract = order("START")
    services.contract_cancel(contract=contract, actor=None, as_of=AS_OF)
    with pytest.raises(DomainError) as exc:
        services.contract_cancel(contract=contract, actor=None, as_of=AS_OF)
    assert exc.value.status == 409


def test_plan_change_mid_month_applies_from_the_first_of_next_month(order, tiers):
    contract = order("START", date(2026, 10, 1))
    assert services.contract_change_effective(contract=contract, as_of=AS_OF) \
        == date(2026, 12, 1)
    contract = services.contract_change_plan(contract=contract, plan=tiers["STANDARD"],
                                             actor=None, as_of=AS_OF)
    assert contract.plan.code == "START"
    assert (contract.next_plan.code, contract.next_plan_from) == ("STANDARD", date(2026, 12, 1))
    assert selectors.plan_on(contract, date(2026, 11, 30)).code == "START"
    assert selectors.plan_on(contract, date(2026, 12, 1)).code == "STANDARD"
    # STANDARD's 6-month term counts from the change
    assert contract.minimum_end == date(2027, 5, 31)


def test_daily_job_applies_the_change_once(order, tiers):
    contract = order("START", date(2026, 10, 1))
    services.contract_change_plan(contract=contract, plan=tiers["EMAIL"], actor=None,
                                  as_of=AS_OF)
    assert services.contracts_apply_scheduled(as_of=date(2026, 11, 30))["plans_applied"] == 0
    assert services.contracts_apply_scheduled(as_of=date(2026, 12, 1))["plans_applied"] == 1
    assert services.contracts_apply_scheduled(as_of=date(2026, 12, 2))["plans_applied"] == 0
    contract.refresh_from_db()
    assert contract.plan.code == "EMAIL" and contract.next_plan is None
    # the history still knows November's plan (settlement reads it)
    assert selectors.plan_on(contract, date(2026, 11, 15)).code == "START"


def test_choosing_the_current_plan_withdraws_a_scheduled_change(order, tiers):
    contract = order("START", date(2026, 10, 1))
    services.contract_change_plan(contract=contract, plan=tiers["STANDARD"], actor=None,
                                  as_of=AS_OF)
    contract = services.contract_change_plan(contract=contract, plan=tiers["START"], actor=None,
                                             as_of=AS_OF)
    assert contract.next_plan is None
    assert selectors.plan_on(contract, date(2026, 12, 1)).code == "START"
    assert contract.minimum_end == date(2026, 12, 31)


def test_changing_to_the_same_plan_is_refused(order, tiers):
    contract = order("START")
    with pytest.raises(DomainError) as exc:
        services.contract_change_plan(contract=contract, plan=tiers["START"], actor=None,
                                      as_of=AS_OF)
    assert exc.value.code == "plan_unchanged"


def test_cancelled_contract_ends_after_its_last_day(order):
    contract = order("COMMUNITY", AS_OF)
    services.contract_cancel(contract=contract, actor=None, as_of=AS_OF)
    assert services.contracts_apply_scheduled(as_of=date(2026, 11, 30))["ended"] == 0
    assert services.contracts_apply_scheduled(as_of=date(2026, 12, 1))["ended"] == 1
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ENDED
    assert selectors.contract_current(contract.account, date(2026, 12, 1)) is None


def test_a_new_contract_may_be_ordered_once_the_old_one_has_ended(order, acme):
    contract = order("COMMUNITY", AS_OF)
    services.contract_cancel(contract=contract, actor=None, as_of=AS_OF)
    new = order("START", date(2026, 12, 1))  # the old one is ended lazily by the order
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ENDED
    assert selectors.contract_current(acme[0], date(2026, 12, 1)) == new


def test_contract_current_and_orderable_plans(order, acme, make_member):
    assert selectors.contract_current(acme[0], AS_OF) is None
    contract = order("EMAIL")
    assert selectors.contract_current(acme[0], AS_OF) == contract
    assert [p.code for p in selectors.orderable_plans()] == [
        "COMMUNITY", "EMAIL", "START", "STANDARD"]


def test_a_manager_may_be_the_contact(tiers, acme, make_member):
    manager = make_member(acme[0], "manager@acme.example", MemberRole.MANAGER)
    contract = services.contract_order(account=acme[0], plan=tiers["START"], start=AS_OF,
                                       contact=manager, actor=None, as_of=AS_OF)
    assert contract.contact == manager


def test_the_contact_person_can_be_changed_to_another_active_member(order, acme, make_member,
                                                                    make_account):
    contract = order("START")
    colleague = make_member(acme[0], "colleague@acme.example")
    contract = services.contract_contact_change(contract=contract, contact=colleague,
                                                actor=None)
    assert contract.contact == colleague
    assert AuditEntry.objects.filter(action="support_contract.contact").exists()
    _other, stranger = make_account("Other")
    with pytest.raises(DomainError) as exc:
        services.contract_contact_change(contract=contract, contact=stranger, actor=None)
    assert exc.value.code == "contact_not_member"


def test_cancelling_twice_says_it_is_already_cancelled(order):
    contract = order("START")
    services.contract_cancel(contract=contract, actor=None, as_of=AS_OF)
    with pytest.raises(DomainError, match="already cancelled"):
        services.contract_cancel(contract=contract, actor=None, as_of=AS_OF)


def test_a_cancellation_is_withdrawn_until_the_contract_ends(order, staff):
    from seats.models import AuditEntry

    contract = order("START", date(2026, 12, 1))
    services.contract_cancel(contract=contract, actor=None, as_of=date(2027, 2, 10))
    contract = services.contract_cancel_withdraw(contract=contract, actor=staff,
                                                 as_of=date(2027, 2, 28))
    assert (contract.status, contract.ends_on) == (ContractStatus.ACTIVE, None)
    entry = AuditEntry.objects.filter(action="support_contract.cancel_withdraw").get()
    assert entry.before["status"] == "cancelled" and entry.after["status"] == "active"
    with pytest.raises(DomainError) as exc:  # not cancelled (any more)
        services.contract_cancel_withdraw(contract=contract, actor=staff, as_of=date(2027, 3, 1))
    assert (exc.value.code, exc.value.status) == ("contract_not_cancelled", 409)


def test_a_cancellation_cannot_be_withdrawn_after_the_last_day(order):
    contract = order("START", date(2026, 12, 1))
    services.contract_cancel(contract=contract, actor=None, as_of=date(2027, 2, 10))
    with pytest.raises(DomainError) as exc:  # the daily job has not marked it ended yet
        services.contract_cancel_withdraw(contract=contract, actor=None, as_of=date(2027, 3, 1))
    assert exc.value.code == "contract_not_cancelled"
    contract.refresh_from_db()
    assert contract.status == ContractStatus.CANCELLED
