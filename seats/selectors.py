"""Reads of accounts, members and seats, always scoped to what the requester may see."""

from django.db.models import Count, Q

from .models import Account, Member, Seat


def accounts_visible_to(user):
    """Staff see every account; a member sees only their own; anyone else sees none."""
    if user.is_staff:
        return Account.objects.select_related("package")
    return Account.objects.select_related("package").filter(members__user=user)


def account_seats(account, *, include_removed=False):
    qs = Seat.objects.filter(account=account).select_related("member__user")
    if not include_removed:
        qs = qs.filter(removed_on__isnull=True)
    return qs.order_by("id")


def account_members(account):
    return (
        Member.objects.filter(account=account)
        .select_related("user", "seat")
        .order_by("state", "user__email")
    )


def account_seat_counts(account):
    return Seat.objects.filter(account=account, removed_on__isnull=True).aggregate(
        total=Count("id"), free=Count("id", filter=Q(member__isnull=True))
    )
