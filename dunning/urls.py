"""Browser pages of dunning: the finance contracts page (see `dunning.views_finance`).

The url name does not start with "finance_" on purpose: `seats.context_processors.NAV_SECTIONS`
would put the page in the "Finance" (documents) menu section, marking that link current too;
the staff menu marks "Contracts" current by this name."""

from django.urls import path

from . import views_finance, views_recurring

urlpatterns = [
    path("finance/contracts/", views_finance.finance_contracts,
         name="dunning_finance_contracts"),
    # the Renew page's "Recurring payments" card posts here ("payments_" marks the menu entry)
    path("account/renew/recurring/", views_recurring.recurring_toggle,
         name="payments_recurring"),
]
