"""URL of the finance refunds page (see `payments.views_finance_refunds`)."""

from django.urls import path

from . import views_finance_refunds

urlpatterns = [
    path("finance/refunds/", views_finance_refunds.finance_refunds, name="finance_refunds"),
]
