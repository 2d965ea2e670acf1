"""Browser-facing URLs of the payments app (the Stripe webhook)."""

from django.urls import path

from . import webhooks

urlpatterns = [
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
]
