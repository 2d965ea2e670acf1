"""Browser-facing URLs of the payments app: the Stripe webhook, the payment and result pages of
an order (names start with "payments_", which base.html uses to mark the current menu entry),
and the finance page for bank transfers."""

from django.urls import path

from . import views, webhooks

urlpatterns = [
    path("webhooks/stripe/", webhooks.stripe_webhook, name="stripe_webhook"),
    path("account/orders/<int:order_id>/pay/", views.payment_page, name="payments_pay"),
    path("account/orders/<int:order_id>/pay/start/", views.payment_start,
         name="payments_pay_start"),
    path("account/orders/<int:order_id>/pay/transfer/", views.payment_transfer,
         name="payments_pay_transfer"),
    path("account/orders/<int:order_id>/payment/<int:payment_id>/", views.payment_result,
         name="payments_payment"),
    path("account/orders/<int:order_id>/payment/<int:payment_id>/status/",
         views.payment_status, name="payments_payment_status"),
    path("finance/transfers/", views.finance_transfers, name="finance_transfers"),
]
