"""The web while PostgreSQL is away (issue 13, item 13): a clear 503 (page or JSON) with
Retry-After while the database cannot be reached, and recovery with no restart — after the
database is back, and after it dropped the web's connection (as a restart or failover does).

The shared PostgreSQL is never stopped: "down" is the web's connection settings pointing at a
port where nothing listens (what a stopped server looks like to a client), "dropped" is
`pg_terminate_backend` of the web's own server process."""

import json
import urllib.error
import urllib.request
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, connections
from rest_framework.authtoken.models import Token

from tests.outages import free_port, lock_connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def db_settings():
    """The connection settings every thread's new connection is made from (restored after)."""
    settings_dict = connections.settings["default"]
    assert connection.settings_dict is settings_dict  # one dict: changes reach new connections
    saved = dict(settings_dict)
    yield settings_dict
    settings_dict.clear()
    settings_dict.update(saved)
    connection.close()


def fetch(url, *, headers=None, data=None):
    """(status, headers, body text) of a real HTTP request; a 4xx/5xx is an answer, not an
    error."""
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 (test server)
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_while_the_database_is_unreachable_pages_and_the_api_answer_503_then_recover(
        live_server, make_account, client, db_settings):
    account, admin = make_account("Acme")
    client.force_login(admin.user)
    page = (f"{live_server.url}/account/users/",
            {"Cookie": f"sessionid={client.cookies['sessionid'].value}",
             "Accept-Language": "en"})
    api = (f"{live_server.url}/api/v1/accounts/{account.pk}/members/",
           {"Authorization": f"Token {Token.objects.create(user=admin.user).key}",
            "Accept-Language": "en"})
    assert fetch(page[0], headers=page[1])[0] == 200

    port = db_settings["PORT"]
    db_settings["PORT"] = free_port()  # the server is "down": nothing answers there
    status, headers, body = fetch(page[0], headers=page[1])
    assert status == 503 and headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in body and "Traceback" not in body
    status, headers, body = fetch(api[0], headers=page[1] | api[1])
    assert status == 503 and headers["Retry-After"] == "30"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == "database_unavailable"
    status, _headers, body = fetch(  # a write: refused clearly, not half done
        api[0], headers={**api[1], "Content-Type": "application/json"},
        data=json.dumps({"email": "late@acme.example", "role": "user"}).encode())
    assert status == 503 and json.loads(body)["code"] == "database_unavailable"

    db_settings["PORT"] = port
    assert fetch(page[0], headers=page[1])[0] == 200  # back, with no restart of the web
    status, _headers, body = fetch(api[0], headers=api[1])
    assert status == 200 and "late@acme.example" not in body


def wsgi_get(path, headers):
    """One request through Django's WSGI handler in this thread, as a sync gunicorn worker runs
    it: request_started / request_finished with Django's connection upkeep around it."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "HTTP_HOST": "localhost",
               **{f"HTTP_{name.upper().replace('-', '_')}": value
                  for name, value in headers.items()}}
    setup_testing_defaults(environ)
    started = {}
    response = WSGIHandler()(environ, lambda status, _headers: started.update(status=status))
    body = b"".join(response)
    response.close()  # request_finished
    return int(started["status"].split()[0]), body


def test_a_connection_the_database_dropped_is_replaced_by_the_next_request(
        make_account, db_settings):
    account, admin = make_account("Acme")
    headers = {"Authorization": f"Token {Token.objects.create(user=admin.user).key}"}
    path = f"/api/v1/accounts/{account.pk}/members/"
    db_settings["CONN_MAX_AGE"] = 600  # a long-lived connection, as production may keep
    connection.close()
    assert wsgi_get(path, headers)[0] == 200
    web_backend = connection.connection.info.backend_pid

    killer = lock_connection()
    try:
        with killer.cursor() as cursor:  # as a PostgreSQL restart does to every connection
            cursor.execute("SELECT pg_terminate_backend(%s)", [web_backend])
        killer.commit()
    finally:
        killer.close()

    status, body = wsgi_get(path, headers)
    assert status == 200, body  # the health check found it dead and connected again
    assert connection.connection.info.backend_pid != web_backend
