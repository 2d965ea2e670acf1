"""Deleting plans' rows of one account when the account is deleted with its data (SPEC §6: an
unpaid trial account, 30 days after its trial ended). Called by `dunning.services.trials`."""

from django.utils.translation import gettext as _

from billing_site.errors import DomainError

from ..models import AccountAddOn, Order, OrderStatus, PackageChange

# statuses of an order whose money was received: its record is kept with the payment's
PAID_STATUSES = [OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED]


def account_orders_purge(*, account) -> dict[str, int]:
    """Delete the account's orders (pending, cancelled or expired), its add-on packs
    (`AccountAddOn`) and its package-change history (`PackageChange`). Returns how many rows of
    each kind went: "orders", "account_addons", "package_changes".

    Refused with `DomainError` (code "account_has_paid_orders"), before anything is deleted,
    when an order was paid (paid, partly refunded or refunded): money was received for it and
    its records are kept (an unpaid trial never has one — paying ends the trial).

    Runs inside the caller's transaction, which holds the account's lock
    (`seats.services.contracts.account_locked`) and has already deleted what refers to the
    orders (payments, transfer bookings, documents: `payments.services.purge`,
    `invoices.services.purge`); a row that still refers to one makes the deletion fail with
    `ProtectedError`. No row of plans is protected by a trigger: plain `QuerySet.delete()`."""
    paid = list(Order.objects.filter(account_id=account.pk, status__in=PAID_STATUSES)
                .order_by("id").values_list("id", flat=True))
    if paid:
        raise DomainError(
            _("The account has paid orders (%(orders)s): their records are kept, so the "
              "account and its data were not deleted.")
            % {"orders": ", ".join(f"#{pk}" for pk in paid)},
            code="account_has_paid_orders", status=409,
        )
    _deleted, orders = Order.objects.filter(account_id=account.pk).delete()
    _deleted, addons = AccountAddOn.objects.filter(account_id=account.pk).delete()
    _deleted, changes = PackageChange.objects.filter(account_id=account.pk).delete()
    return {
        "orders": orders.get(Order._meta.label, 0),
        "account_addons": addons.get(AccountAddOn._meta.label, 0),
        "package_changes": changes.get(PackageChange._meta.label, 0),
    }
