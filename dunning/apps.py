from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "dunning"

    def ready(self):
        # beside dunning/admin.py: the admin of seats' `Contract` (dunning/admin_contracts.py)
        # and of recurring card charges with their attempts (dunning/admin_recurring.py)
        from . import admin_contracts, admin_recurring  # noqa: F401
