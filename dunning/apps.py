from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "dunning"

    def ready(self):
        # the admin of seats' `Contract` (dunning/admin_contracts.py), beside dunning/admin.py
        from . import admin_contracts  # noqa: F401
