"""URLs of the payments API, included at /api/v1/ (see `payments.api`)."""

from django.urls import path

from . import api

app_name = "payments_api"

urlpatterns = [
    path("orders/<int:order_id>/", api.OrderDetailApi.as_view(), name="order"),
    path("orders/<int:order_id>/payments/", api.PaymentCreateApi.as_view(),
         name="order-payments"),
    path("orders/<int:order_id>/transfers/", api.TransferBookApi.as_view(),
         name="order-transfers"),
    path("payments/<int:payment_id>/refunds/", api.RefundCreateApi.as_view(),
         name="payment-refunds"),
]
