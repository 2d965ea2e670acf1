"""Helpers shared by the test modules of every app."""

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def token_client(user):
    """An API client that authenticates as `user` with a DRF token, as the product would."""
    token, _created = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
