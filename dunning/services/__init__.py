"""Dunning services (SPEC §6), by topic:

- `sweep`: `dunning_sweep` — the daily job that records phase changes and performs their side
  effects once (notices, pausing and resuming automations, trial deletion);
- `notices`: `notice_create` (once per account, kind and reference) and `notices_send`;
- `trials`: deleting an unpaid trial account past its deletion day, with a tombstone;
- `contracts`: reminders of overdue contract invoices, finance's block and unblock.
"""
