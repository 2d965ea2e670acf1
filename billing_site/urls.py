from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

# JSON under /api/, the site's pages elsewhere (billing_site.error_views); a database that is
# down answers 503, not 500 (billing_site.outages, then error_views.server_error)
handler400 = "billing_site.error_views.bad_request"
handler404 = "billing_site.error_views.page_not_found"
handler500 = "billing_site.outages.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # the split view serves Swagger UI's start-up script as a file (?script): no inline script,
    # as the Content-Security-Policy requires
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("seats.api_urls")),
    path("api/v1/", include("plans.api_urls")),
    path("api/v1/", include("invoices.api_urls")),
    path("api/v1/", include("payments.api_urls")),
    path("api/v1/", include("dunning.recurring_api_urls")),
    path("api/v1/support/", include("support_plans.api_urls")),
    path("favicon.ico", views.favicon, name="favicon"),
    # before seats.urls: "/" sends a staff login to its start page, a member to seats' home
    path("", views.home, name="home"),
    path("staff/", views.staff_start, name="staff_start"),
    path("", include("seats.urls")),
    path("", include("plans.urls")),
    path("", include("invoices.urls")),
    path("", include("payments.urls")),
    path("", include("payments.urls_account")),
    path("", include("payments.urls_finance_refunds")),
    path("", include("dunning.urls")),
    path("", include("support_plans.urls")),
]
