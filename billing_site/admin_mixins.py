class ReadOnlyAdminMixin:
    """For rows that only services write (audit trail, issued documents, number counters): the
    admin shows them and can search and filter, but cannot add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
