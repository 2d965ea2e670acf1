"""Browser pages of the plans app: "Payments → Renew", orders and "Change package" (admins).
URL names start with "payments_" or "package_" (base.html marks the current menu entry by them)."""

from django.urls import path

from . import views

urlpatterns = [
    path("account/renew/", views.renew_page, name="payments_renew"),
    path("account/renew/quote/", views.renew_quote, name="payments_renew_quote"),
    path("account/renew/order/", views.renew_order, name="payments_renew_order"),
    path("account/renew/add-ons/", views.addon_order, name="payments_addon_order"),
    path("account/renew/billing-period/", views.billing_period,
         name="payments_billing_period"),
    path("account/orders/<int:order_id>/", views.order_page, name="payments_order"),
    path("account/package/", views.package_page, name="package_change"),
]
