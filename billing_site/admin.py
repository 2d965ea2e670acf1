"""The kernel's rows in the admin, read-only: ops see what waits for the broker (a growing list
means the broker is down; `manage.py outbox_drain` hands it over) and which e-mails went out.

Also the admin site itself: the product's name in its titles (Django's are "Django
administration"), and a login form that asks for the e-mail address (logins are e-mail
addresses; Django's form says "Username")."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy

from .admin_mixins import ReadOnlyAdminMixin
from .models import OutboxMessage, SentEmail

admin.site.site_header = gettext_lazy("Seat Billing — administration")
admin.site.site_title = gettext_lazy("Seat Billing administration")
admin.site.index_title = gettext_lazy("Seat Billing: data and operations")


class AdminLoginForm(AdminAuthenticationForm):
    """Django's admin login form with the login field labelled "E-mail"."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = gettext_lazy("E-mail")


admin.site.login_form = AdminLoginForm


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "task_name", "key", "created_at", "not_before", "published_at",
                    "attempts", "last_error"]
    list_filter = [("published_at", admin.EmptyFieldListFilter), "task_name"]
    search_fields = ["task_name", "key"]
    date_hierarchy = "created_at"


@admin.register(SentEmail)
class SentEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "sent_at", "recipients"]
    search_fields = ["key"]
