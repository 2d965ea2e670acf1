"""What the support-plan services share: locks, the plan on a day, audit snapshots."""

from seats.audit import audit_record, snapshot

from ..models import SupportContract

CONTRACT_FIELDS = ["plan", "start", "minimum_end", "status", "contact", "ends_on", "next_plan",
                   "next_plan_from"]


def lock_contract(contract) -> SupportContract:
    """The contract row, locked: changes to one contract (its time entries, tickets counted
    against its limit, its settlement) are serialised on it."""
    return SupportContract.objects.select_for_update().get(pk=contract.pk)


def user_or_none(actor):
    return actor if actor is not None and getattr(actor, "pk", None) else None


def is_staff(actor) -> bool:
    return bool(actor is not None and getattr(actor, "is_staff", False))


def contract_snapshot(contract) -> dict:
    return snapshot(contract, CONTRACT_FIELDS)


def audit(*, contract, actor, action, target=None, before=None, after=None):
    return audit_record(account=contract.account, actor=user_or_none(actor), action=action,
                        target=target if target is not None else contract, before=before,
                        after=after)
