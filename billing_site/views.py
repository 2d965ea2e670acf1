"""Site-wide pages of the kernel: the start page "/" (a customer's member → seats' start page, a
vendor's staff login → its group's start page), the staff start page and `/favicon.ico` (the error
answers are in `billing_site.error_views`).

The kernel imports no app (the import-linter contract): the member's start page is looked up by
address in `seats.urls`, as `billing_site.urls` includes the apps by module name, and the staff
areas below name other apps' pages by url name and permission string only.

What a staff login may use is derived from its permissions (a superuser holds them all), so that a
group granted a permission in the admin gets the menu entry and start page with it. The one
exceptions are the finance documents page and support's ticket queue:
`invoices.views_documents.is_finance` and `support_plans.views_common.is_support` let in the groups
"finance" and "support" by name, and the areas mirror that rule (a link the page then refuses
would be worse)."""

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy

FINANCE_GROUP = "finance"  # as invoices.views_documents.FINANCE_GROUP
SUPPORT_GROUP = "support"  # as support_plans.defaults.SUPPORT_GROUP (the queue lets it in by name)


@dataclass(frozen=True)
class StaffArea:
    """One page a staff login may use: its menu entry and its line on the staff start page."""

    key: str
    label: str
    url_name: str
    description: str
    permissions: tuple[str, ...] = ()  # any one of them opens the page
    finance_group: bool = False  # the page lets in the group "finance" by name (see above)
    group: str = ""  # the page lets in this group by name (support's queue), and superusers

    def allowed(self, user) -> bool:
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        if self.finance_group:
            return user.groups.filter(name=FINANCE_GROUP).exists()
        if self.group:
            return user.groups.filter(name=self.group).exists()
        return any(user.has_perm(perm) for perm in self.permissions)

    @property
    def url(self) -> str:
        return reverse(self.url_name)


# In menu order; a login lands on the first of LANDING_AREAS it may use, else the staff start page.
STAFF_AREAS = [
    StaffArea("documents", gettext_lazy("Documents"), "finance_documents",
              gettext_lazy("Issued invoices, pro-formas and corrections of all accounts, with "
                           "their PDFs and the export for the accountant."),
              finance_group=True),
    StaffArea("contracts", gettext_lazy("Contracts"), "dunning_finance_contracts",
              gettext_lazy("Contract accounts, their overdue invoices, blocking by hand."),
              permissions=("seats.add_accesshold",)),
    StaffArea("transfers", gettext_lazy("Transfers"), "finance_transfers",
              gettext_lazy("Booking bank transfers against orders."),
              permissions=("payments.add_transferbooking",)),
    StaffArea("refunds", gettext_lazy("Refunds"), "finance_refunds",
              gettext_lazy("Refunding card payments."),
              permissions=("payments.add_refund",)),
    StaffArea("jobs", gettext_lazy("Jobs"), "admin:dunning_jobs",
              gettext_lazy("The billing jobs, their recent runs and \"Run now\"."),
              permissions=("django_celery_results.view_taskresult",
                           "django_celery_beat.change_periodictask")),
    StaffArea("support", gettext_lazy("Support queue"), "support_queue",
              gettext_lazy("Support tickets nearest their deadline first: file a ticket, record "
                           "the first response and the time spent, monthly SLA reports."),
              group=SUPPORT_GROUP),
    StaffArea("accounts", gettext_lazy("Accounts"), "admin:dunning_accounts",
              gettext_lazy("Customers' accounts: each one's timeline and what the next sweep "
                           "would do to it."),
              permissions=("seats.view_account",)),
    StaffArea("rates", gettext_lazy("Exchange rates"), "admin:invoices_exchangerate_changelist",
              gettext_lazy("NBP exchange rates; a missing rate can be entered by hand."),
              permissions=("invoices.view_exchangerate",)),
]
LANDING_AREAS = ("documents", "jobs", "support")


def staff_areas(user) -> list[StaffArea]:
    """The areas `user` may use, in menu order."""
    return [area for area in STAFF_AREAS if area.allowed(user)]


def staff_start_url(user) -> str:
    """Where a staff login without a membership starts: finance → documents, ops → jobs,
    support → the ticket queue; a superuser and anyone else → the staff start page, which lists
    what they may use."""
    if not user.is_superuser:
        allowed = {area.key: area for area in staff_areas(user)}
        for key in LANDING_AREAS:
            if key in allowed:
                return allowed[key].url
    return reverse("staff_start")


def _member_home(request):
    # seats' own start page (the kernel does not import seats: found by address, see above)
    return resolve("/", urlconf="seats.urls").func(request)


@login_required
def home(request):
    """ "/" and where a login lands: a vendor's staff login that is no member of an organisation
    goes to its start page; everyone else gets seats' start page."""
    user = request.user
    if user.is_staff and getattr(request, "member", None) is None:
        return redirect(staff_start_url(user))
    return _member_home(request)


@login_required
def staff_start(request):
    """The staff start page: what this login may use (support's ticket queue among them)."""
    if not request.user.is_staff:
        raise Http404
    return render(request, "staff/start.html", {
        "areas": staff_areas(request.user), "nav_section": "staff_start",
        # what the admin lets this login see, by the admin's own permission checks
        "admin_apps": admin.site.get_app_list(request),
    })


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: point them at the static icon."""
    return redirect(static("favicon.svg"), permanent=True)
