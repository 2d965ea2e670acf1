"""Error answers (issue 13, item 7): every answer under /api/ is JSON in the API's error shape and
language, whatever refused the request (Django's resolver, its body limit, the CSRF check, an
unexpected exception, DRF's parser); pages get the site's layout."""

import json
import logging

import pytest
from django.test import Client, override_settings

from seats.models import MemberRole
from tests.helpers import token_client

pytestmark = pytest.mark.django_db

API = "/api/v1/accounts/"


def refusal_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused ")]


@pytest.fixture
def acme(make_account, make_member):
    account, admin = make_account("Acme")
    bob = make_member(account, "bob@acme.example", MemberRole.USER)
    return account, admin, bob


def assert_json_error(response, status, code):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["code"] == code
    assert body["detail"]
    return body


def test_an_unknown_api_address_is_a_json_404_with_the_reason_logged(acme, caplog):
    _account, admin, _bob = acme
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = token_client(admin.user).get("/api/v1/no-such-thing/")
    body = assert_json_error(response, 404, "not_found")
    assert body["detail"] == "There is no API endpoint at this address."
    assert response["Content-Language"] == "en"
    # the token is DRF's to check, and no DRF view answered: the log knows no user
    assert refusal_lines(caplog) == [
        "Refused 404 GET /api/v1/no-such-thing/ user=- reason=not_found: no page at this address"]
    assert_json_error(token_client(admin.user).get("/api"), 404, "not_found")  # the bare prefix


@pytest.mark.parametrize("bad", ["abc", "-1", "1.5"])
def test_a_word_or_negative_number_for_an_id_is_a_json_404_that_says_so(acme, bad):
    account, admin, bob = acme
    client = token_client(admin.user)

    response = client.get(f"{API}{bad}/seats/")
    body = assert_json_error(response, 404, "invalid_id")
    assert body["detail"] == f"“{bad}” is not an id: ids are whole numbers from 1."

    # deeper in the address, and in Polish when asked for
    response = client.post(f"{API}{account.pk}/members/{bad}/role/", {"role": "user"},
                           format="json", HTTP_ACCEPT_LANGUAGE="pl")
    body = assert_json_error(response, 404, "invalid_id")
    assert response["Content-Language"] == "pl"
    assert body["detail"] == f"„{bad}” nie jest identyfikatorem: identyfikatory to liczby " \
        "całkowite od 1."


def test_a_page_404_stays_a_page(client):
    response = client.get("/account/users/members/abc/role/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "belongs to another organisation" in response.content.decode()


def test_staff_see_a_404_that_does_not_speak_of_another_organisation(client, django_user_model):
    """Vendor staff work on every organisation: the customers' wording would mislead them."""
    staff = django_user_model.objects.create_user("ops@vendor.example", "ops@vendor.example",
                                                  "pw", is_staff=True)
    client.force_login(staff)
    page = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "another organisation" not in page
    assert "There is nothing at this address" in page


@pytest.mark.parametrize(("language", "detail"), [
    ("en", "The request body is not valid JSON (error at line 1, column 10)."),
    ("pl", "Treść żądania nie jest poprawnym JSON-em (błąd w wierszu 1, kolumnie 10)."),
])
def test_malformed_json_is_a_translated_400_with_a_code(acme, caplog, language, detail):
    account, admin, bob = acme
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = token_client(admin.user).post(
            f"{API}{account.pk}/members/{bob.pk}/role/", data='{"role": ',
            content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
    body = assert_json_error(response, 400, "malformed_json")
    assert body == {"detail": detail, "code": "malformed_json"}
    assert response["Content-Language"] == language
    assert refusal_lines(caplog)[-1].endswith("reason=malformed_json")
    bob.refresh_from_db()
    assert bob.role == MemberRole.USER


def test_a_body_that_is_not_json_at_all_is_malformed_json_too(acme):
    account, admin, bob = acme
    response = token_client(admin.user).post(
        f"{API}{account.pk}/members/{bob.pk}/role/", data=b"\xff\xfe role",
        content_type="application/json")
    body = assert_json_error(response, 400, "malformed_json")
    assert body["detail"] == "The request body is not valid JSON."


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_is_a_json_413_under_api_and_a_page_elsewhere(acme, client, caplog):
    account, admin, bob = acme
    browser = Client()
    browser.force_login(admin.user)
    with caplog.at_level(logging.INFO):
        # a form body is read by Django (the CSRF check reads request.POST), which refuses it
        response = browser.post(f"{API}{account.pk}/members/{bob.pk}/role/",
                                {"role": "manager", "padding": "x" * 5000},
                                HTTP_ACCEPT_LANGUAGE="pl")
        body = assert_json_error(response, 413, "request_too_large")
        assert body["detail"] == "Żądanie jest za duże: można wysłać najwyżej 1000\xa0bajtów."

        page = browser.post("/account/users/seats/add/", {"count": "1", "padding": "x" * 5000},
                            HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 413
    assert "The request is too large: at most 1000\xa0bytes may be sent." in page.content.decode()
    assert 'class="site-header"' in page.content.decode()  # the site's layout
    lines = refusal_lines(caplog)
    assert lines[0] == (f"Refused 413 POST {API}{account.pk}/members/{bob.pk}/role/ "
                        f"user={admin.user.pk} reason=request_too_large")
    assert "Traceback" not in caplog.text
    bob.refresh_from_db()
    assert bob.role == MemberRole.USER


def test_a_405_on_an_api_url_stays_a_json_405_and_logs_one_line(acme, caplog):
    account, admin, bob = acme
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = token_client(admin.user).get(f"{API}{account.pk}/members/{bob.pk}/role/")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The method GET is not allowed at this address; allowed: POST.",
        "code": "method_not_allowed"}
    assert refusal_lines(caplog) == [
        f"Refused 405 GET {API}{account.pk}/members/{bob.pk}/role/ user={admin.user.pk} "
        "reason=method_not_allowed"]


def test_a_session_api_post_without_csrf_token_is_a_translated_json_403(acme, caplog):
    account, admin, bob = acme
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin.user)
    url = f"{API}{account.pk}/members/{bob.pk}/role/"
    with caplog.at_level(logging.INFO):
        response = browser.post(url, {"role": "manager"}, content_type="application/json",
                                HTTP_ACCEPT_LANGUAGE="pl")
    body = assert_json_error(response, 403, "csrf")
    assert body["detail"].startswith("Żądanie zostało odrzucone")
    # the session did not authenticate the request (DRF leaves no user): user=-
    assert refusal_lines(caplog) == [
        f"Refused 403 POST {url} user=- reason=csrf: CSRF cookie not set."]
    bob.refresh_from_db()
    assert bob.role == MemberRole.USER


@override_settings(ROOT_URLCONF="billing_site.tests.error_urls")
@pytest.mark.parametrize(("language", "start"), [
    ("en", "Something went wrong on our side"), ("pl", "Coś poszło nie tak po naszej stronie")])
def test_an_unexpected_error_under_api_is_a_json_500(language, start, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/api/v1/broken/", HTTP_ACCEPT_LANGUAGE=language)
        drf = client.get("/api/v1/broken-drf/", HTTP_ACCEPT_LANGUAGE=language)
    for answer in (response, drf):
        body = assert_json_error(answer, 500, "server_error")
        assert body["detail"].startswith(start)
        assert "boom" not in body["detail"]
    # a 500 is an error: logged with its traceback, not as a refusal
    assert "RuntimeError: boom" in caplog.text and not refusal_lines(caplog)


@override_settings(ROOT_URLCONF="billing_site.tests.error_urls")
def test_an_unexpected_error_on_a_page_is_the_html_500_page():
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "Something went wrong" in response.content.decode()


def test_a_page_csrf_failure_is_a_page_in_the_layout_with_a_link_back(acme):
    _account, admin, _bob = acme
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin.user)
    users = "http://testserver/account/users/?seats=free"

    response = browser.post("/account/users/seats/add/", {"count": "1"},
                            HTTP_REFERER=users, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    page = response.content.decode()
    assert 'class="site-header"' in page and "The form could not be sent" in page
    assert "allow cookies for this site" in page  # no CSRF cookie came with the form
    assert f'href="{users}" data-testid="csrf-back"' in page.replace("&amp;", "&")


def test_a_csrf_failure_with_a_stale_token_says_the_form_expired_and_never_links_away(acme):
    _account, admin, _bob = acme
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin.user)
    browser.get("/account/users/")  # the page sets the CSRF cookie
    response = browser.post("/account/users/seats/add/",
                            {"count": "1", "csrfmiddlewaretoken": "x" * 64},
                            HTTP_REFERER="https://evil.example/phish",
                            HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Formularz wygasł" in page
    assert 'href="/" data-testid="csrf-back"' in page
    assert "evil.example" not in page


def test_the_csrf_failure_view_answers_json_under_api(rf):
    # DRF's views are exempt from Django's CSRF middleware (their session check is
    # test_a_session_api_post_without_csrf_token_…): the failure view still never answers HTML
    from billing_site.error_views import csrf_failure

    request = rf.post("/api/v1/accounts/", HTTP_ACCEPT_LANGUAGE="pl")
    response = csrf_failure(request, reason="CSRF cookie not set.")
    body = assert_json_error(response, 403, "csrf")
    assert body["detail"].startswith("Żądanie zostało odrzucone")
    assert request.refusal_reason == "csrf: CSRF cookie not set."


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_too_many_form_fields_is_a_400_that_says_so(acme):
    account, admin, bob = acme
    browser = Client()
    browser.force_login(admin.user)
    fields = {f"f{n}": "x" for n in range(10)}

    api = browser.post(f"{API}{account.pk}/members/{bob.pk}/role/", fields)
    assert assert_json_error(api, 400, "too_many_fields")["detail"] == (
        "The request sends too many fields.")
    page = browser.post("/account/users/seats/add/", fields)
    assert page.status_code == 400
    assert "The request sends too many fields." in page.content.decode()


def test_a_bad_id_in_another_apps_api_is_a_json_404_too(acme):
    account, admin, _bob = acme
    response = token_client(admin.user).get("/api/v1/orders/first/")
    body = assert_json_error(response, 404, "invalid_id")
    assert body["detail"] == "“first” is not an id: ids are whole numbers from 1."


def test_a_broken_multipart_body_is_a_translated_400_with_a_code(acme):
    account, admin, bob = acme
    response = token_client(admin.user).post(
        f"{API}{account.pk}/members/{bob.pk}/role/", data=b"--x\r\nbroken",
        content_type="multipart/form-data", HTTP_ACCEPT_LANGUAGE="pl")
    body = assert_json_error(response, 400, "malformed_body")
    assert body["detail"] == "Nie udało się odczytać treści żądania."


def test_an_unknown_host_is_a_400_never_a_500(caplog):
    # Django refuses the Host before the middleware has run (no user, no member on the request)
    browser = Client(HTTP_HOST="evil.example", raise_request_exception=False)
    page = browser.get("/login/")
    assert page.status_code == 400
    assert "The request could not be read." in page.content.decode()
    assert 'class="site-header"' in page.content.decode()  # the layout renders without a user
    api = browser.get(API, HTTP_ACCEPT_LANGUAGE="en")
    assert assert_json_error(api, 400, "bad_request")["detail"] == (
        "The request could not be read. Reload the page and try again.")
