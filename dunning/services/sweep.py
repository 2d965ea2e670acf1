"""The daily dunning sweep (SPEC §6; issue 10 "The sweep").

The phase of an account and of a seat is a pure function of dates and the policy
(`seats.standing`), so a request never waits for the sweep. The sweep only *records* what changed
since the phase it last recorded and performs the side effects once:

- a `PhaseTransition` row per change (account: `seat` empty; or one seat), with the day the new
  phase began;
- e-mails to the admins (`Notice`): 7 days and 1 day before the account's validity ends, on
  entering grace, blocked and suspended, 3 days before an unpaid trial ends and when it ended;
- pausing automations on suspension and resuming them when the account is paid
  (`RecordedPhase.automations_paused`, which the status API derives from the same phase);
- deleting unpaid trial accounts past the deletion day (`dunning.services.trials`);
- reminders of overdue contract invoices (`dunning.services.contracts`).

How it stays idempotent, concurrent-safe and bounded:
1. Two streamed queries find the *candidates*: accounts whose phase computed in SQL differs from
   the recorded one, or that are due a pre-expiry / trial notice they do not have yet, and the
   accounts of seats whose SQL phase differs from theirs. Their cost is a scan, but only changed
   rows come back; the number of queries then grows with the changes, not with the accounts.
2. Candidates are handled in batches of `batch_size` accounts, each batch in one transaction:
   the accounts' rows are locked with `select_for_update(skip_locked=True)` (a concurrent sweep
   skips what this one holds; the seats services and payments lock the same row first), and
   everything is re-read and decided again in Python by the pure functions — the SQL only picks
   candidates. Transitions and notices are unique in the database as well.
3. Notices are sent after their batch commits (`notices_send`); a run that dies leaves the rest
   for the next run, which also sends whatever is still unsent.

A dry run performs the same work inside a transaction that is rolled back, so its report is
exactly what the real run would do, and it sends nothing.

Accounts without a live seat are left out (they have nothing that expires). A notice about
entering a phase is only sent while the phase is at most `STALE_NOTICE_DAYS` old: a sweep that
catches up on months-old data (the first run on imported accounts) records the transitions
without mailing about them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing_site.errors import DomainError
from catalogue.models import BillingPolicy
from seats.models import AccessHold, Account, Contract, Seat
from seats.phases import Phase, PhasePolicy
from seats.standing import account_standing, seat_standing_phase

from ..models import (
    Notice,
    NoticeKind,
    PhaseTransition,
    RecordedPhase,
    SeatRecordedPhase,
    SweepRun,
)
from .contracts import contract_reminders
from .notices import notices_send
from .trials import trial_account_delete, trial_accounts_due_for_deletion

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
STALE_NOTICE_DAYS = 7
TRIAL_ENDING_NOTICE_DAYS = 3  # issue 10: "trial ending (3 days before)"
EXPIRY_NOTICE_DAYS = (7, 1)  # SPEC §6: 7 days and 1 day before expiry


class _DryRunRollback(Exception):
    pass


@dataclass
class SweepLine:
    """One line of the sweep's report."""

    account_id: int
    account_name: str
    seat_id: int | None
    change: str  # "grace → blocked", "notice: expires_7", "deleted", ...
    effective_on: date | None = None

    def as_row(self) -> str:
        subject = f"seat #{self.seat_id}" if self.seat_id else "account"
        when = self.effective_on.isoformat() if self.effective_on else ""
        return f"{self.account_id:>8}  {self.account_name[:28]:<28}  {subject:<12}  " \
               f"{self.change:<34}  {when}"


@dataclass
class SweepResult:
    run: SweepRun
    lines: list[SweepLine] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def report(self) -> str:
        header = f"{'account':>8}  {'name':<28}  {'subject':<12}  {'change':<34}  effective"
        body = [line.as_row() for line in self.lines] or ["(nothing to change)"]
        return "\n".join([header, *body, *self.refused])


# --- candidates (SQL) --------------------------------------------------------------------------


def _overrides_sql(as_of: date, account_ref: str):
    """(held, contract runs) of the account `account_ref` names in the outer query."""
    return (Exists(AccessHold.objects.open().filter(account=OuterRef(account_ref))),
            Exists(Contract.objects.running_on(as_of).filter(account=OuterRef(account_ref))))


def _account_phase_sql(as_of: date, policy: PhasePolicy, latest):
    """The account's phase as a SQL expression: the same rules as `seats.standing` (checked
    against it by a test), used only to pick candidates."""
    held, contract = _overrides_sql(as_of, "pk")
    return Case(
        When(held, then=Value(Phase.BLOCKED.value)),
        When(contract, then=Value(Phase.ACTIVE.value)),
        When(trial=True, trial_ends_on__gte=as_of, then=Value(Phase.ACTIVE.value)),
        When(trial=True, then=Value(Phase.BLOCKED.value)),
        When(Q(**{f"{latest}__gte": as_of}), then=Value(Phase.ACTIVE.value)),
        When(Q(**{f"{latest}__gte": as_of - timedelta(days=policy.grace_days)}),
             then=Value(Phase.GRACE.value)),
        When(Q(**{f"{latest}__gte": as_of - timedelta(days=policy.blocked_through_day)}),
             then=Value(Phase.BLOCKED.value)),
        default=Value(Phase.SUSPENDED.value),
        output_field=CharField(),
    )


def _seat_phase_sql(as_of: date, policy: PhasePolicy):
    held, contract = _overrides_sql(as_of, "account_id")
    return Case(
        When(held, then=Value(Phase.BLOCKED.value)),
        When(contract, then=Value(Phase.ACTIVE.value)),
        When(account__trial=True, account__trial_ends_on__gte=as_of,
             then=Value(Phase.ACTIVE.value)),
        When(account__trial=True, then=Value(Phase.BLOCKED.value)),
        When(valid_until__gte=as_of, then=Value(Phase.ACTIVE.value)),
        When(valid_until__gte=as_of - timedelta(days=policy.grace_days),
             then=Value(Phase.GRACE.value)),
        default=Value(Phase.BLOCKED.value),
        output_field=CharField(),
    )


def _latest_valid_until():
    return Subquery(
        Seat.objects.filter(account=OuterRef("pk"), removed_on__isnull=True)
        .values("account").annotate(latest=Max("valid_until")).values("latest")[:1]
    )


def candidate_account_ids(as_of: date, policy: PhasePolicy) -> list[int]:
    """Ids of the accounts the sweep must look at on `as_of` (sorted): phase changed since the
    recorded one, a pre-expiry or trial-ending notice due and not yet created, or a seat whose
    phase changed. Two streamed queries."""
    ids: set[int] = set()
    latest = _latest_valid_until()
    recorded = Coalesce(
        Subquery(RecordedPhase.objects.filter(account=OuterRef("pk")).values("phase")[:1]),
        Value(Phase.ACTIVE.value), output_field=CharField())
    notice_exists = {
        kind: Exists(Notice.objects.filter(account=OuterRef("pk"), kind=kind,
                                           about_date=OuterRef(about)))
        for kind, about in ((NoticeKind.EXPIRES_IN_7_DAYS, "latest"),
                            (NoticeKind.EXPIRES_IN_1_DAY, "latest"),
                            (NoticeKind.TRIAL_ENDING, "trial_ends_on"))
    }
    no_contract = ~_overrides_sql(as_of, "pk")[1]
    accounts = (
        Account.objects.annotate(latest=latest)
        .filter(latest__isnull=False)
        .annotate(computed=_account_phase_sql(as_of, policy, "latest"), recorded=recorded)
        .filter(
            ~Q(computed=F("recorded"))
            | Q(no_contract, ~notice_exists[NoticeKind.EXPIRES_IN_7_DAYS], trial=False,
                latest__gte=as_of + timedelta(days=2), latest__lte=as_of + timedelta(days=7))
            | Q(no_contract, ~notice_exists[NoticeKind.EXPIRES_IN_1_DAY], trial=False,
                latest__gte=as_of, latest__lte=as_of + timedelta(days=1))
            | Q(~notice_exists[NoticeKind.TRIAL_ENDING], trial=True, trial_ends_on__gte=as_of,
                trial_ends_on__lte=as_of + timedelta(days=TRIAL_ENDING_NOTICE_DAYS))
        )
        .values_list("pk", flat=True)
    )
    ids.update(accounts.iterator(chunk_size=2000))
    held_accounts = AccessHold.objects.open().values("account_id")
    seats = (
        Seat.objects.filter(removed_on__isnull=True)
        .filter(Q(valid_until__lt=as_of) | Q(recorded_phase__isnull=False)
                | Q(account__trial=True) | Q(account_id__in=held_accounts))
        .annotate(computed=_seat_phase_sql(as_of, policy),
                  recorded=Coalesce(F("recorded_phase__phase"), Value(Phase.ACTIVE.value),
                                    output_field=CharField()))
        .exclude(computed=F("recorded"))
        .order_by().values_list("account_id", flat=True).distinct()
    )
    ids.update(seats.iterator(chunk_size=2000))
    return sorted(ids)


# --- deciding and recording one batch (Python, under the accounts' locks) ----------------------


def _effective_account(phase, standing, policy, as_of):
    if phase == Phase.ACTIVE or standing.held:
        return as_of
    if standing.trial_ends_on is not None:
        return standing.trial_ends_on + timedelta(days=1)
    latest = standing.valid_until
    if phase == Phase.GRACE:
        return latest + timedelta(days=1)
    if phase == Phase.BLOCKED:
        return latest + timedelta(days=policy.grace_days + 1)
    return latest + timedelta(days=policy.blocked_through_day + 1)


def _effective_seat(phase, valid_until, *, trial_ends_on, held, policy, as_of):
    if phase == Phase.ACTIVE or held:
        return as_of
    if trial_ends_on is not None:
        return trial_ends_on + timedelta(days=1)
    if phase == Phase.GRACE:
        return valid_until + timedelta(days=1)
    return valid_until + timedelta(days=policy.grace_days + 1)


_ENTER_NOTICE = {Phase.GRACE: NoticeKind.GRACE, Phase.BLOCKED: NoticeKind.BLOCKED,
                 Phase.SUSPENDED: NoticeKind.SUSPENDED}


def _sweep_batch(account_ids, *, as_of, policy, run, stats, lines) -> list[int]:
    """Decide and record one batch in the caller's transaction. `run`: the saved `SweepRun` the
    transitions point to (None in a dry run); `stats`: the run whose counters grow; `lines`: the
    report. Returns the new notices' ids."""
    accounts = {a.pk: a for a in Account.objects.select_for_update(skip_locked=True)
                .filter(pk__in=account_ids).only("id", "name", "trial", "trial_ends_on")}
    if not accounts:
        return []
    ids = list(accounts)
    seats_by_account = defaultdict(list)
    for seat_id, account_id, valid_until in (
            Seat.objects.filter(account_id__in=ids, removed_on__isnull=True)
            .values_list("id", "account_id", "valid_until")):
        seats_by_account[account_id].append((seat_id, valid_until))
    contract_ids = set(Contract.objects.running_on(as_of).filter(account_id__in=ids)
                       .values_list("account_id", flat=True))
    held_ids = set(AccessHold.objects.open().filter(account_id__in=ids)
                   .values_list("account_id", flat=True))
    recorded = {r.account_id: r for r in RecordedPhase.objects.filter(account_id__in=ids)}
    seat_recorded = {r.seat_id: r for r in SeatRecordedPhase.objects.filter(account_id__in=ids)}
    existing_notices = set(Notice.objects.filter(account_id__in=ids).filter(
        about_date__gte=as_of - timedelta(days=policy.blocked_through_day + STALE_NOTICE_DAYS + 1)
    ).values_list("account_id", "kind", "reference"))

    transitions, phases, seat_upserts, seat_deletes, notices = [], [], [], [], []
    for account_id, account in accounts.items():
        seats = seats_by_account.get(account_id, [])
        if not seats:
            continue
        trial_ends_on = account.trial_ends_on if account.trial else None
        contract, held = account_id in contract_ids, account_id in held_ids
        histogram = defaultdict(int)
        for _seat_id, valid_until in seats:
            histogram[valid_until] += 1
        standing = account_standing(histogram, as_of, policy, trial_ends_on=trial_ends_on,
                                    contract=contract, held=held)
        before = recorded.get(account_id)
        before_phase = before.phase if before else Phase.ACTIVE
        new_phase = standing.phase
        if new_phase != before_phase:
            effective = _effective_account(new_phase, standing, policy, as_of)
            transitions.append(PhaseTransition(
                account_id=account_id, from_phase=before_phase, to_phase=new_phase,
                effective_on=effective, recorded_on=as_of, run=run))
            phases.append(RecordedPhase(account_id=account_id, phase=new_phase, since=effective,
                                        automations_paused=new_phase == Phase.SUSPENDED))
            lines.append(SweepLine(account_id, account.name, None,
                                          f"{before_phase} → {new_phase}", effective))
            if new_phase == Phase.SUSPENDED:
                lines.append(SweepLine(account_id, account.name, None,
                                              "automations paused", effective))
            elif before is not None and before.automations_paused:
                lines.append(SweepLine(account_id, account.name, None,
                                              "automations resumed", effective))
            kind = _ENTER_NOTICE.get(new_phase)
            if kind == NoticeKind.BLOCKED and trial_ends_on is not None:
                kind = NoticeKind.TRIAL_ENDED
            if kind is not None and not held and (as_of - effective).days <= STALE_NOTICE_DAYS:
                about = trial_ends_on if kind == NoticeKind.TRIAL_ENDED else standing.valid_until
                notices.append((account, kind, about))
        # notices before the end (SPEC §6; issue 10: trial ending 3 days before)
        if new_phase == Phase.ACTIVE and not contract and not held:
            if trial_ends_on is not None:
                if 0 <= (trial_ends_on - as_of).days <= TRIAL_ENDING_NOTICE_DAYS:
                    notices.append((account, NoticeKind.TRIAL_ENDING, trial_ends_on))
            else:
                days_left = (standing.valid_until - as_of).days
                if 2 <= days_left <= EXPIRY_NOTICE_DAYS[0]:
                    notices.append((account, NoticeKind.EXPIRES_IN_7_DAYS, standing.valid_until))
                elif 0 <= days_left <= EXPIRY_NOTICE_DAYS[1]:
                    notices.append((account, NoticeKind.EXPIRES_IN_1_DAY, standing.valid_until))
        # the seats
        for seat_id, valid_until in seats:
            phase = seat_standing_phase(valid_until, as_of, policy, trial_ends_on=trial_ends_on,
                                        contract=contract, held=held)
            seat_before = seat_recorded.get(seat_id)
            seat_before_phase = seat_before.phase if seat_before else Phase.ACTIVE
            if phase == seat_before_phase:
                continue
            effective = _effective_seat(phase, valid_until, trial_ends_on=trial_ends_on,
                                        held=held, policy=policy, as_of=as_of)
            transitions.append(PhaseTransition(
                account_id=account_id, seat_id=seat_id, from_phase=seat_before_phase,
                to_phase=phase, effective_on=effective, recorded_on=as_of, run=run))
            if phase == Phase.ACTIVE:
                seat_deletes.append(seat_id)
            else:
                seat_upserts.append(SeatRecordedPhase(seat_id=seat_id, account_id=account_id,
                                                      phase=phase, since=effective))
            lines.append(SweepLine(account_id, account.name, seat_id,
                                          f"{seat_before_phase} → {phase}", effective))

    new_notices = []
    for account, kind, about in notices:
        reference = about.isoformat()
        if (account.pk, kind, reference) in existing_notices:
            continue
        existing_notices.add((account.pk, kind, reference))
        new_notices.append(Notice(account_id=account.pk, kind=kind, reference=reference,
                                  about_date=about, created_on=as_of))
        lines.append(SweepLine(account.pk, account.name, None, f"e-mail: {kind}", about))

    PhaseTransition.objects.bulk_create(transitions, ignore_conflicts=True)
    if phases:
        RecordedPhase.objects.bulk_create(
            phases, update_conflicts=True, unique_fields=["account"],
            update_fields=["phase", "since", "automations_paused", "updated_at"])
    if seat_deletes:
        SeatRecordedPhase.objects.filter(seat_id__in=seat_deletes).delete()
    if seat_upserts:
        SeatRecordedPhase.objects.bulk_create(
            seat_upserts, update_conflicts=True, unique_fields=["seat"],
            update_fields=["phase", "since"])
    created = Notice.objects.bulk_create(new_notices)
    stats.accounts_changed += len(phases)
    stats.seats_changed += len(seat_upserts) + len(seat_deletes)
    stats.notices_created += len(created)
    if connection.features.can_return_rows_from_bulk_insert:
        return [n.pk for n in created]
    return list(Notice.objects.filter(account_id__in=ids, sent_at__isnull=True,
                                      created_on=as_of).values_list("pk", flat=True))


# --- the sweep -------------------------------------------------------------------------------


def dunning_sweep(*, as_of: date, dry_run: bool = False,
                  batch_size: int = BATCH_SIZE) -> SweepResult:
    """Run the sweep for business date `as_of` (see the module docstring). Returns the
    `SweepResult` with its `SweepRun` (saved unless `dry_run`) and the report lines. Sends the
    e-mails of the notices it created (and any left unsent by an earlier run) unless
    `dry_run`."""
    policy = PhasePolicy.from_model(BillingPolicy.current())
    run = SweepRun(as_of=as_of, dry_run=dry_run, started_at=timezone.now())
    result = SweepResult(run=run)
    if not dry_run:
        run.save()
    try:
        if dry_run:
            try:
                with transaction.atomic():
                    _sweep(as_of=as_of, policy=policy, run=None, result=result,
                           batch_size=batch_size)
                    raise _DryRunRollback
            except _DryRunRollback:
                pass
        else:
            _sweep(as_of=as_of, policy=policy, run=run, result=result, batch_size=batch_size)
            run.notices_sent += notices_send()
    except Exception as exc:
        if not dry_run:
            run.error = f"{type(exc).__name__}: {exc}"[:4000]
            run.finished_at = timezone.now()
            run.report = result.report()
            run.save()
        raise
    run.finished_at = timezone.now()
    run.report = result.report()
    if not dry_run:
        run.save()
    return result


def _sweep(*, as_of, policy, run, result, batch_size):
    stats = result.run  # saved or, in a dry run, only counted
    ids = candidate_account_ids(as_of, policy)
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        with transaction.atomic():
            notice_ids = _sweep_batch(batch, as_of=as_of, policy=policy, run=run, stats=stats,
                                      lines=result.lines)
        if run is not None and notice_ids:
            stats.notices_sent += notices_send(notice_ids=notice_ids)
    _trials_and_contracts(as_of=as_of, run=run, result=result, stats=stats)


def _trials_and_contracts(*, as_of, run, result, stats):
    for account_id in list(trial_accounts_due_for_deletion(as_of)):
        name = Account.objects.filter(pk=account_id).values_list("name", flat=True).first() or ""
        try:
            with transaction.atomic():
                tombstone = trial_account_delete(account_id=account_id, as_of=as_of, run=run)
        except DomainError as exc:  # refused (e.g. it has a VAT invoice): leave it, say why
            logger.warning("Trial account %s not deleted: %s", account_id, exc)
            result.refused.append(f"account {account_id} ({name}) not deleted: {exc}")
            continue
        if tombstone is not None:
            stats.trials_deleted += 1
            result.lines.append(SweepLine(account_id, name, None, "trial account deleted",
                                          as_of))
    with transaction.atomic():
        created = contract_reminders(as_of=as_of, run=run)
    for notice in created:
        stats.notices_created += 1
        result.lines.append(SweepLine(notice.account_id, "", None,
                                      f"e-mail: {notice.kind} {notice.reference}",
                                      notice.about_date))
