"""URLs of the recurring payments API, included at /api/v1/ (see `dunning.recurring_api`)."""

from django.urls import path

from . import recurring_api

app_name = "dunning_recurring_api"

urlpatterns = [
    path("accounts/<int:account_id>/recurring/", recurring_api.RecurringApi.as_view(),
         name="recurring"),
]
