from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DunningConfig(AppConfig):
    name = "dunning"
    verbose_name = _("Dunning")

    def ready(self):
        # beside dunning/admin.py: the admin of seats' `Contract` (dunning/admin_contracts.py)
        # and of recurring card charges with their attempts (dunning/admin_recurring.py)
        from . import admin_contracts, admin_recurring  # noqa: F401
