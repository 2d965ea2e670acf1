"""URLs of the account's payments and refunds page (see `payments.views_account`)."""

from django.urls import path

from . import views_account

urlpatterns = [
    path("account/payments/", views_account.account_payments, name="account_payments"),
    path("account/payments/<int:payment_id>/refund/", views_account.self_refund,
         name="account_payment_refund"),
]
