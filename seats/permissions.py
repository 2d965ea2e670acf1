"""DRF permissions of the seats API.

Order of checks in every view: authenticated → `HasProductAccess` (the one access decision of
`seats.access`) → the account is looked up among those the requester may see (404 otherwise, so
another tenant's ids never reveal that they exist) → the role check on that account (403).
The role check is an *object* permission for that reason: it only runs once scoping has passed.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from billing_site.dates import today
from billing_site.errors import DomainError

from .access import access_decision, request_member
from .middleware import billing_only_reason
from .models import MemberRole, MemberState


class HasProductAccess(BasePermission):
    """Refuses a person the product refuses (suspended, deleted, seatless, no organisation, a
    blocked seat), with the decision's message as the 403 `detail`. Staff always pass. An admin
    of a blocked account passes only into views marked `billing_api = True` (seats and members,
    quotes, orders, payments, invoice data, the status): every other operation answers 403
    with the reason."""

    def has_permission(self, request, view):
        decision = access_decision(request.user, as_of=today(), member=request_member(request))
        if decision.allowed and decision.billing_only and not getattr(view, "billing_api", False):
            # an admin of a blocked account reaches only the billing operations (SPEC §6); a
            # DomainError so that the 403 carries the machine-readable code the product reads
            raise DomainError(billing_only_reason(decision), code="billing_only", status=403)
        if decision.allowed:
            return True
        # DRF reads these attributes from the refusing permission to build the 403
        self.message = decision.message
        self.code = decision.code
        return False


class IsStaff(BasePermission):
    """Vendor-side operations (e.g. creating accounts): any `is_staff` user."""

    message = _("Only staff can do this.")
    code = "staff_only"

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_staff)


class IsAccountAdmin(BasePermission):
    """Seats and members are managed by the account's active administrators (SPEC §3) and staff.

    Object permission on the `Account`: views call `check_object_permissions(request, account)`
    after scoping the account to the requester.
    """

    message = _("Only administrators of this organisation can manage its seats and users.")
    code = "admin_only"

    def has_object_permission(self, request, view, obj):
        if request.user.is_staff:
            return True
        # the requester's one member (`Member.user` is one-to-one), read once per request
        member = request_member(request)
        return (member is not None and member.account_id == obj.pk
                and member.role == MemberRole.ADMIN and member.state == MemberState.ACTIVE)
