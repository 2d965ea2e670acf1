"""Every change to support plans (SPEC §8), by topic:

- `contracts`: `contract_order`, `contract_change_effective`, `contract_change_plan`,
  `contract_cancel_effective`, `contract_cancel`, `contract_cancel_withdraw`,
  `contract_contact_change`,
  `contracts_apply_scheduled` (daily job);
- `tickets`: `ticket_open`, `ticket_respond`, `tickets_mark_breached` (periodic sweep);
- `time_entries`: `time_entry_add`, `billable_minutes`;
- `settlement`: `support_settle` (monthly invoices), `settlement_lines`.

Each service owns its transaction, locks the row it changes (the contract for anything counted
per contract and month), refuses a bad request with `billing_site.errors.DomainError` (code and
field) and writes an audit row (`seats.AuditEntry`). Datetimes are aware; dates are business
dates passed in (`as_of`, `now`): no service reads the clock.
"""

from .contracts import (
    contract_cancel,
    contract_cancel_effective,
    contract_cancel_withdraw,
    contract_change_effective,
    contract_change_plan,
    contract_contact_change,
    contract_order,
    contracts_apply_scheduled,
    minimum_end_for,
)
from .settlement import SettlementResult, settlement_lines, support_settle
from .tickets import ticket_open, ticket_respond, tickets_mark_breached
from .time_entries import billable_minutes, split_included, time_entry_add

__all__ = [
    "SettlementResult", "billable_minutes", "contract_cancel", "contract_cancel_effective",
    "contract_cancel_withdraw",
    "contract_change_effective", "contract_change_plan", "contract_contact_change",
    "contract_order",
    "contracts_apply_scheduled", "minimum_end_for", "settlement_lines", "split_included",
    "support_settle", "ticket_open", "ticket_respond", "tickets_mark_breached",
    "time_entry_add",
]
