"""Browser pages of support plans (issue 14), included at the site root: the account admin's
"Support plan" pages under /account/support/ (billing pages: a blocked admin still reaches them,
`seats.middleware.BILLING_PREFIXES`) and support staff's under /support/."""

from django.urls import path

from . import views_account, views_staff

urlpatterns = [
    # Account settings → Support plan (admins only)
    path("account/support/", views_account.support_page, name="account_support"),
    path("account/support/order/", views_account.order, name="account_support_order"),
    path("account/support/change/", views_account.change_plan, name="account_support_change"),
    path("account/support/cancel/", views_account.cancel, name="account_support_cancel"),
    path("account/support/withdraw/", views_account.withdraw, name="account_support_withdraw"),
    path("account/support/tickets/new/", views_account.file_ticket,
         name="account_support_file_ticket"),
    path("account/support/contact/", views_account.contact, name="account_support_contact"),
    path("account/support/contracts/<int:contract_id>/report/", views_account.report,
         name="account_support_report"),
    path("account/support/tickets/<int:ticket_id>/", views_account.ticket,
         name="account_support_ticket"),
    # support staff
    path("support/queue/", views_staff.queue, name="support_queue"),
    path("support/tickets/new/", views_staff.ticket_open, name="support_ticket_open"),
    path("support/tickets/<int:ticket_id>/", views_staff.ticket, name="support_ticket"),
    path("support/tickets/<int:ticket_id>/respond/", views_staff.ticket_respond,
         name="support_ticket_respond"),
    path("support/tickets/<int:ticket_id>/time/", views_staff.time_entry_add,
         name="support_time_entry_add"),
    path("support/contracts/<int:contract_id>/report/", views_staff.report,
         name="support_report"),
]
