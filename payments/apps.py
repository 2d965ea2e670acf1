from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Payments (SPEC §5, §7): Stripe payments, webhooks, transfer bookings, refunds and applying a
    paid order. Above plans and invoices: it calls their services; nothing below imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("Payments")
