"""Page "Payments → Invoice data" (the name starts with "payments_" like the other Payments
pages, which base.html uses to mark the current menu entry)."""

from django.urls import path

from . import views_profile

urlpatterns = [
    path("account/invoice-data/", views_profile.invoice_data, name="payments_invoice_data"),
]
