"""App configurations of the kernel, and of third-party apps whose admin names need our words.

django-axes has no `verbose_name` (the admin showed its label, "Axes", in every language), so
INSTALLED_APPS names `AxesConfig` below instead of "axes". The other third-party names in the
admin (django-celery-beat's, django-celery-results', axes' model names) are lazy translations in
those apps: their Polish is in our catalogue, kept there by `billing_site.third_party_names`."""

from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingSiteConfig(AppConfig):
    default = True  # the one for "billing_site" in INSTALLED_APPS (this module has two)
    name = "billing_site"
    verbose_name = _("Site operations")


class AxesConfig(AxesAppConfig):
    """django-axes (login lockout), named for the admin; everything else is axes' own."""

    verbose_name = _("Login lockout")
