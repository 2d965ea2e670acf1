"""Renewal quotes, payable orders and package changes (SPEC §4–5), by topic:

- `quotes`: target-month shortcuts, the default target, `quote_basis` (what a quote reads, read
  once per request), `renewal_quote`, `renewal_order_quote` / `quote_json`;
- `orders`: `renewal_order_create`, `addon_order_create`, the status table `ORDER_TRANSITIONS` and
  `order_transition` (the one writer of `Order.status`), `order_refresh` / `orders_refresh` /
  `account_orders_refreshed`;
- `package_change`: converting remaining time at the price ratio;
- `common`: loading prices, the ladder, add-on states and the VAT treatment; the account lock.

The maths lives in `plans.pricing` (pure); these functions load what it needs with a constant
number of queries, call it, and store the outcome under the account lock with an audit row. The
names below are the services' public surface.
"""

from .common import AddOnState, addon_states, vat_treatment_for
from .orders import (
    ORDER_TRANSITIONS,
    account_orders_refreshed,
    addon_order_create,
    order_add_on_packs_grant,
    order_add_on_packs_revoke,
    order_basis,
    order_quote,
    order_refresh,
    order_transition,
    order_vat_treatment,
    order_void_reason,
    orders_refresh,
    renewal_order_create,
)
from .package_change import PackageChangeResult, package_change
from .quotes import (
    SHORTCUT_MONTHS,
    QuoteBasis,
    RenewalQuote,
    TargetShortcut,
    localized_quote,
    parse_target_month,
    quote_basis,
    quote_json,
    renewal_default_target,
    renewal_order_quote,
    renewal_quote,
    renewal_shortcuts,
)

__all__ = [
    "ORDER_TRANSITIONS", "SHORTCUT_MONTHS", "AddOnState", "PackageChangeResult", "QuoteBasis",
    "RenewalQuote", "account_orders_refreshed",
    "TargetShortcut", "addon_order_create", "addon_states", "localized_quote",
    "order_add_on_packs_grant", "order_add_on_packs_revoke",
    "order_basis", "order_quote",
    "order_refresh", "order_transition", "order_vat_treatment", "order_void_reason",
    "orders_refresh", "package_change", "parse_target_month", "quote_basis", "quote_json",
    "renewal_default_target", "renewal_order_create", "renewal_order_quote", "renewal_quote",
    "renewal_shortcuts",
    "vat_treatment_for",
]
