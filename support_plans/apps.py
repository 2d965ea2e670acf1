from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportPlansConfig(AppConfig):
    name = "support_plans"
    verbose_name = _("Support plans")
