"""Deleting an account and everything seats holds of it (SPEC §6: an unpaid trial account is
deleted with its data 30 days after its trial ended). The decision that an account is due, the
order of the layers and the tombstone are `dunning.services.trials`; this module only deletes.

- `purge_permit`: the permit (`seats.PurgePermit`) that lets the purging transaction delete the
  rows the database otherwise refuses to delete — the account's seat periods here, its issued
  pro-formas in `invoices.services.purge`;
- `account_purge`: seats' own rows of one account, then the account row.
"""

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import transaction

from ..models import AccessHold, Account, Contract, Member, PurgePermit, Seat, SeatPeriod


class PurgeOutsideTransaction(RuntimeError):
    """A purge was called outside a transaction: a programming error, never a refusal."""


@contextmanager
def purge_permit(account):
    """Hold the purge permit of `account` for the block: the database triggers then let the
    block delete the account's seat periods and issued pro-formas (see `seats.PurgePermit`).

    Must be used inside the caller's transaction (`PurgeOutsideTransaction` otherwise). The
    permit row is inserted on entry and deleted on exit inside a savepoint, so it is never
    committed and never seen by another transaction: when the block raises, the savepoint rolls
    back the permit together with what the block deleted. Re-entrant: inside a block that holds
    the account's permit already (the orchestrator holds it around all the layers' purges), it
    does nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise PurgeOutsideTransaction("a purge runs inside the caller's transaction")
    if PurgePermit.objects.filter(account_id=account.pk).exists():
        yield  # held by an enclosing block of this transaction (never committed: see the model)
        return
    with transaction.atomic():
        PurgePermit.objects.create(account_id=account.pk)
        yield
        PurgePermit.objects.filter(account_id=account.pk).delete()


def account_purge(*, account) -> dict[str, int]:
    """Delete `account` and seats' rows of it; returns how many rows of each kind went:
    "seat_periods", "seats", "members", "users", "contracts", "access_holds", "accounts".

    Deleted: the seat-period ledger (under the purge permit: it is append-only otherwise), the
    seats, the members, the members' logins (`User`) — except staff and superusers, and a user
    who is still a member elsewhere (only the membership goes) —, the contract, the access
    holds, and then the account row. Kept: the audit entries (their `account` becomes empty,
    `actor_label` still says who acted) and other accounts' rows (a deleted user who acted on
    them appears there as an empty `actor`, the ledger trigger allows that one UPDATE).

    Runs inside the caller's transaction, which holds the account's lock
    (`seats.services.contracts.account_locked`) and has already purged the higher layers
    (payments → invoices → plans; dunning's rows): rows of theirs that still protect the account
    (orders, documents, payments) make the account's deletion fail with `ProtectedError`, and the
    caller's transaction rolls everything back. Refuses nothing itself: whether the account may
    be deleted is the caller's decision.

    The ledger is deleted with `QuerySet._raw_delete` (one DELETE statement, no collector): the
    model's `delete()` refuses on purpose, and the collector would refuse too, because a
    reversal row protects the row it reverses (`SeatPeriod.reverses` is PROTECT) even when both
    go. Nothing else refers to a seat period, so the single statement is complete."""
    users = get_user_model()
    with purge_permit(account):
        periods = SeatPeriod.objects.filter(account_id=account.pk)
        removed = {"seat_periods": periods._raw_delete(periods.db)}
        # seats before members: a seat protects its occupant (`Seat.member` is PROTECT)
        _, deleted = Seat.objects.filter(account_id=account.pk).delete()
        removed["seats"] = deleted.get(Seat._meta.label, 0)
        members = Member.objects.filter(account_id=account.pk)
        user_ids = list(members.values_list("user_id", flat=True))
        _, deleted = members.delete()
        removed["members"] = deleted.get(Member._meta.label, 0)
        logins = (users.objects.filter(pk__in=user_ids, is_staff=False, is_superuser=False)
                  .filter(member__isnull=True))  # a membership elsewhere keeps the login
        _, deleted = logins.delete()
        removed["users"] = deleted.get(users._meta.label, 0)
        _, deleted = Contract.objects.filter(account_id=account.pk).delete()
        removed["contracts"] = deleted.get(Contract._meta.label, 0)
        _, deleted = AccessHold.objects.filter(account_id=account.pk).delete()
        removed["access_holds"] = deleted.get(AccessHold._meta.label, 0)
        _, deleted = Account.objects.filter(pk=account.pk).delete()
        removed["accounts"] = deleted.get(Account._meta.label, 0)
    return removed
