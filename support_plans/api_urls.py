"""URLs of the support-plans API, included at /api/v1/support/ (see `support_plans.api`)."""

from django.urls import path

from . import api

app_name = "support_api"

urlpatterns = [
    path("tickets/", api.TicketCreateApi.as_view(), name="tickets"),
    path("tickets/<int:ticket_id>/respond/", api.TicketRespondApi.as_view(),
         name="ticket-respond"),
    path("queue/", api.QueueApi.as_view(), name="queue"),
    path("time-entries/", api.TimeEntryCreateApi.as_view(), name="time-entries"),
    path("contracts/", api.ContractCreateApi.as_view(), name="contracts"),
]
