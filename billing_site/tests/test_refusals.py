"""Noise (issue 12, item 10; issue 13, item 7): a refusal (any 4xx: 403, 404, 405, a CSRF failure)
is one log line with its reason, never a traceback; `/favicon.ico` answers, and every page links
the icon."""

import logging

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def request_records(caplog):
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_403_is_one_log_line_with_the_reason_and_no_traceback(client, make_account,
                                                                make_member, caplog):
    account, _admin = make_account("Acme")
    user = make_member(account, "user@acme.example")
    client.force_login(user.user)

    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get(reverse("account_users"))

    assert response.status_code == 403
    [record] = request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and record.exc_text is None
    line = record.getMessage()
    assert "\n" not in line
    assert line == f"Refused 403 GET /account/users/ user={user.user.pk} reason=permission_denied"
    assert "Traceback" not in caplog.text


def test_an_api_403_is_one_line_too(client, make_account, make_member, caplog):
    # DRF answers its own PermissionDenied: the log sees no exception; the reason is the error's
    # code, which the API's exception handler kept
    account, _admin = make_account("Acme")
    user = make_member(account, "user@acme.example")
    client.force_login(user.user)
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get(f"/api/v1/accounts/{account.pk}/seats/")
    assert response.status_code == 403
    [record] = request_records(caplog)
    assert record.exc_info is None
    assert record.getMessage() == (
        f"Refused 403 GET /api/v1/accounts/{account.pk}/seats/ user={user.user.pk} "
        "reason=admin_only")


def test_a_permission_denied_message_is_the_logged_reason(rf, caplog):
    # as django.core.handlers.exception logs a view's PermissionDenied
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponseForbidden
    from django.utils.log import log_response

    request = rf.post("/finance/refunds/")
    request.user = AnonymousUser()
    try:
        raise PermissionDenied("Only finance staff can refund payments.")
    except PermissionDenied as exc:
        with caplog.at_level(logging.INFO, logger="django.request"):
            log_response("Forbidden (Permission denied): %s", request.path,
                         response=HttpResponseForbidden(), request=request, exception=exc)
    [record] = request_records(caplog)
    assert record.getMessage() == ("Refused 403 POST /finance/refunds/ user=- "
                                   "reason=permission_denied: Only finance staff can refund "
                                   "payments.")
    assert record.exc_info is None and "Traceback" not in caplog.text


def test_a_404_is_one_line_with_its_reason(client, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    [record] = request_records(caplog)
    assert record.getMessage() == ("Refused 404 GET /no-such-page/ user=- "
                                   "reason=not_found: no page at this address")
    assert record.exc_info is None


def test_an_object_404_logs_the_exceptions_message(admin_client, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = admin_client.get(reverse("admin:dunning_account_timeline", args=[999999]))
    assert response.status_code == 404
    [record] = request_records(caplog)
    assert record.getMessage().startswith("Refused 404 GET /admin/dunning/accounts/999999/")
    assert "reason=-" not in record.getMessage()


def test_an_api_404_and_a_domain_refusal_log_their_codes(client, make_account, caplog):
    account, admin = make_account("Acme")
    client.force_login(admin.user)
    with caplog.at_level(logging.INFO, logger="django.request"):
        client.post(f"/api/v1/accounts/{account.pk}/members/999999/role/", {"role": "user"},
                    content_type="application/json")
        client.post(f"/api/v1/accounts/{account.pk}/members/{admin.pk}/role/", {"role": "user"},
                    content_type="application/json")
    assert [r.getMessage() for r in request_records(caplog)] == [
        f"Refused 404 POST /api/v1/accounts/{account.pk}/members/999999/role/ "
        f"user={admin.user.pk} reason=not_found",
        f"Refused 409 POST /api/v1/accounts/{account.pk}/members/{admin.pk}/role/ "
        f"user={admin.user.pk} reason=last_admin",
    ]


def test_a_page_405_and_a_page_csrf_failure_are_one_line_too(make_account, caplog):
    from django.test import Client

    account, admin = make_account("Acme")
    browser, plain = Client(enforce_csrf_checks=True), Client()
    browser.force_login(admin.user)
    plain.force_login(admin.user)
    with caplog.at_level(logging.INFO):
        assert plain.put(reverse("account_seats_add")).status_code == 405
        assert browser.post(reverse("account_seats_add"), {"count": "1"}).status_code == 403
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("django.")]
    assert lines == [
        f"Refused 405 PUT /account/users/seats/add/ user={admin.user.pk} "
        "reason=method_not_allowed",
        f"Refused 403 POST /account/users/seats/add/ user={admin.user.pk} "
        "reason=csrf: CSRF cookie not set.",
    ]
    assert "Traceback" not in caplog.text


def test_favicon_ico_redirects_permanently_to_the_static_icon(client, caplog):
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")
    assert not request_records(caplog)


def test_every_page_links_the_icon(client):
    page = client.get(reverse("login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
