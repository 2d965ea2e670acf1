"""Who works the support queue: vendor staff in the group "support" (and superusers). Used by the
API here and by the support staff's pages."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .defaults import SUPPORT_GROUP


def is_support_staff(user) -> bool:
    """True for an active staff login in the group "support", or a superuser."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.is_staff and user.groups.filter(name=SUPPORT_GROUP).exists()


class IsSupportStaff(BasePermission):
    """DRF permission: support staff only (403 with code "support_only" for anyone else)."""

    message = _("Only support staff can do this.")
    code = "support_only"

    def has_permission(self, request, view):
        return is_support_staff(request.user)
