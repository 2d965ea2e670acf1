"""A test urlconf (`@override_settings(ROOT_URLCONF="billing_site.tests.error_urls")`): the real
site plus two views that fail, to see the site's 500 answers. Not part of the product's urls."""

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from billing_site.urls import handler400, handler404, handler500  # noqa: F401 (the real ones)


def broken(request):
    raise RuntimeError("boom (a test of the 500 answer)")


class BrokenApi(APIView):
    """A DRF view that fails: DRF hands an exception it does not know back to Django."""

    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom (a test of the API's 500 answer)")


urlpatterns = [
    path("api/v1/broken/", broken),
    path("api/v1/broken-drf/", BrokenApi.as_view()),
    path("broken/", broken),
    path("", include("billing_site.urls")),
]
