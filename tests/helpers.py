"""Helpers shared by the test modules of every app."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def token_client(user):
    """An API client that authenticates as `user` with a DRF token, as the product would."""
    token, _created = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def login_request(path="/login/"):
    """A request to pass to `authenticate()` / `client.login(request=...)`: django-axes, the first
    authentication backend, refuses to check a password without the request it came with (it
    counts failures per address and IP address, issue 13)."""
    from django.test import RequestFactory

    return RequestFactory().post(path)


# DRF's 404 in the project's error shape (billing_site.api.exception_handler)
NOT_FOUND = {"detail": "Not found: there is no such object, or it is not visible to you.",
             "code": "not_found"}
