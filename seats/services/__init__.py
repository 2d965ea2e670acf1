"""Every change to accounts, members, seats and seat validity (SPEC §3), by topic:

- `accounts`: `account_create`, `signup`, `signup_confirm`, `signup_link_member`,
  `signup_link_resend`, `billing_period_change`, `account_billing_country_set`,
  `currency_for_country`;
- `seats`: `seats_add`, `seats_addable`, `seats_only_in_renewal`, `seat_remove`, `seats_remove`,
  `seat_assign`;
- `members`: `member_invite`, `member_release`, `member_cancel_scheduled`, `member_restore`,
  `member_role_change`,  `members_apply_scheduled`, `send_invitation`;
- `invitations`: `invitation_cancel`, `invitation_resend`, `invitations_accept` (the pending
  invitations the members list shows, issues 12/13);
- `ledger`: the one writer of `Seat.valid_until` / `paid_through` — `seats_open` (a new seat's
  first period), `seat_periods_append`, `seat_periods_reverse` (see `seats.models.SeatPeriod`);
- `tokens`: `api_token_create`, `api_token_revoke` (a login's API token, made and revoked by its
  owner), `key_prefix`;
- `common`: the account lock, the audited fields, e-mail normalising;
- `emails`: the sign-up link and the note to an address that already has a login (issue 13:
  sign-up and invitations never disclose who owns an address), with a per-address limit.

Each service owns its transaction, locks the account row first (so that concurrent operations on
one account are serialised), refuses a bad request with `DomainError`, writes an audit row, and
sends e-mail only after commit. Dates are business dates passed in as `as_of`. The names below
are the public surface (`from seats import services`).
"""

from .accounts import (
    account_billing_country_set,
    account_create,
    billing_period_change,
    currency_for_country,
    signup,
    signup_confirm,
    signup_link_member,
    signup_link_resend,
)
from .common import MEMBER_FIELDS, SEAT_FIELDS, _normalise_email
from .emails import send_address_taken, send_signup_confirmation, signup_token_generator
from .invitations import invitation_cancel, invitation_resend, invitations_accept
from .ledger import (
    SeatValidityChange,
    new_seat_valid_until,
    seat_periods_append,
    seat_periods_reverse,
    seats_open,
)
from .members import (
    member_cancel_scheduled,
    member_invite,
    member_release,
    member_release_effective_check,
    member_restore,
    member_role_change,
    members_apply_scheduled,
    send_invitation,
)
from .seats import (
    MAX_SEATS_PER_REQUEST,
    seat_assign,
    seat_remove,
    seats_add,
    seats_addable,
    seats_only_in_renewal,
    seats_remove,
)
from .tokens import api_token_create, api_token_revoke, key_prefix

__all__ = [
    "MAX_SEATS_PER_REQUEST", "MEMBER_FIELDS", "SEAT_FIELDS", "SeatValidityChange",
    "_normalise_email", "account_billing_country_set", "invitation_cancel",
    "invitation_resend", "invitations_accept", "account_create", "billing_period_change",
    "currency_for_country", "member_cancel_scheduled", "member_invite",
    "member_release", "member_release_effective_check", "member_restore", "member_role_change",
    "members_apply_scheduled",
    "new_seat_valid_until", "seat_assign", "seat_periods_append", "seat_periods_reverse",
    "seat_remove", "seats_add", "seats_addable", "seats_only_in_renewal", "seats_open",
    "seats_remove", "api_token_create", "api_token_revoke", "key_prefix", "send_address_taken",
    "send_invitation", "send_signup_confirmation", "signup", "signup_confirm",
    "signup_link_member", "signup_link_resend", "signup_token_generator",
]
