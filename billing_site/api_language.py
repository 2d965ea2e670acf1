"""The language of the API's answers (issue 12): the first language of `Accept-Language` the
site speaks, English when the request names none, one language per response.

A module of its own because DRF imports the negotiation class while `rest_framework.views` is
being imported (`billing_site.api` imports that module, so the class cannot live there)."""

from django.conf import settings
from django.utils import translation
from rest_framework.negotiation import DefaultContentNegotiation

API_LANGUAGE = "en"  # when the request names no language the site speaks


def api_language(accept_language: str) -> str:
    """The language an API answer is written in: the first language of `Accept-Language` the
    site speaks (quality order, "pl-PL" → "pl"), else English. The session's or cookie's
    language of the pages does not count: an API client says what it wants in its header."""
    supported = {code for code, _name in settings.LANGUAGES}
    for code, _quality in translation.trans_real.parse_accept_lang_header(accept_language or ""):
        if code == "*":
            break
        try:
            language = translation.get_supported_language_variant(code)
        except LookupError:
            continue
        if language in supported:
            return language
    return API_LANGUAGE


class LanguageNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation (`REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]`), which
    also negotiates the language: it runs first in every API view (before authentication,
    permissions and parsing), so the whole body — DRF's own messages, the serializers' and the
    project's `DomainError`s — is in one language, the one `api_language` picks. Pages are not
    affected (LocaleMiddleware keeps their language choice); the response's Content-Language
    names the language used."""

    def select_renderer(self, request, renderers, format_suffix=None):
        language = api_language(request.META.get("HTTP_ACCEPT_LANGUAGE", ""))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return super().select_renderer(request, renderers, format_suffix)
