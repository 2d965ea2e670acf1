"""URLs of the plans API, included at /api/v1/ (see `plans.api` for the contract)."""

from django.urls import path

from . import api

app_name = "plans_api"

urlpatterns = [
    path("accounts/<int:account_id>/entitlements/", api.EntitlementsApi.as_view(),
         name="entitlements"),
    path("accounts/<int:account_id>/renewal-quote/", api.RenewalQuoteApi.as_view(),
         name="renewal-quote"),
    path("accounts/<int:account_id>/package-change/", api.PackageChangeApi.as_view(),
         name="package-change"),
    path("accounts/<int:account_id>/orders/", api.OrderListApi.as_view(), name="orders"),
    path("accounts/<int:account_id>/orders/renewal/", api.RenewalOrderCreateApi.as_view(),
         name="order-renewal"),
    path("accounts/<int:account_id>/orders/add-ons/", api.AddOnOrderCreateApi.as_view(),
         name="order-add-ons"),
    path("accounts/<int:account_id>/billing-period/", api.BillingPeriodApi.as_view(),
         name="billing-period"),
]
