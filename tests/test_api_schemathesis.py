"""The API against its own OpenAPI schema, with schemathesis (issue 13).

Every operation under /api/v1/ is called through the real WSGI app (PostgreSQL, the default
parser, the exception handler) with an account admin's token and a staff token:

- `test_generated_requests_stay_within_the_schema`: a bounded, derandomized run of data that
  schemathesis generates from the schema (positive and negative), `EXAMPLES` per operation;
  every answer must be below 500, an error must be a JSON body with a "detail", and status,
  content type and body must be what the schema documents;
- `test_hostile_bodies_are_refused_in_json`: fixed bodies per operation that take a body — JSON
  nested 1 000 deep, a lone surrogate as a key and in a value, a NUL byte (items 4 and 5) —
  must be refused with a documented 4xx in JSON.

Path parameters are pinned to real rows of one account (an unknown id is only a 404 and would
hide everything behind it). Card payments are left out: they call the card provider.
"""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from plans import services as plan_services
from seats import services as seat_services
from seats.models import Invitation, MemberRole, Seat
from tests.helpers import token_client

EXAMPLES = 4  # per operation and generation mode; ~30 operations, two tokens each
SEED = 13
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
SKIPPED = {"orders_payment_create"}  # would charge a card at the provider


@pytest.fixture
def world(db, make_account, make_member, staff, settings):
    """One account (admin, user, free seat, pending renewal order) and the two tokens."""
    settings.ALLOWED_HOSTS = ["*"]
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        account, admin = make_account("Acme")
        user = make_member(account, "user@acme.example", MemberRole.USER)
        [free] = seat_services.seats_add(account=account, count=1, actor=None,
                                         as_of=datetime(2026, 11, 16).date())
        order = plan_services.renewal_order_create(
            account=account, actor=admin.user, until=(2027, 1), add_seats=0, add_ons={},
            as_of=datetime(2026, 11, 16).date())
        # a pending invitation of an address with a login elsewhere (issues 12/13): takes no seat
        seat_services.member_invite(account=account, email=staff.email, role=MemberRole.USER,
                                    actor=admin.user, as_of=datetime(2026, 11, 16).date())
        invitation = Invitation.objects.get(account=account, email=staff.email)
        ids = {"account_id": account.pk, "seat_id": free.pk, "member_id": user.pk,
               "order_id": order.pk, "document_id": 1, "payment_id": 1,
               "invitation_id": invitation.pk, "ticket_id": 1}
        tokens = {"admin": _token(admin.user), "staff": _token(staff)}
        assert Seat.objects.filter(account=account).count() == 3
        yield ids, tokens


def _token(user):
    return token_client(user)._credentials["HTTP_AUTHORIZATION"]


@pytest.fixture
def wsgi_app():
    """The project's WSGI app is called in this thread inside the test's transaction: like
    Django's test client, the connection is not closed at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _load_schema():
    """The schema /api/schema/ serves, generated in-process (no database needed), its calls
    going to the WSGI app. Loaded at import so that each operation is its own test item
    (schemathesis' lazy `from_fixture` does not run under pytest 9)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(raw)))
    loaded.app = get_wsgi_application()
    return loaded.include(path_regex="^/api/v1/").exclude(operation_id=list(SKIPPED))


schema = _load_schema()


@pytest.fixture
def api_schema(world, wsgi_app):
    return schema


# what the run covered, printed as one line at the end of the module (pytest -s shows it;
# docs/reliability.md records it)
TALLY = {"operations": set(), "requests": 0, "server_errors": 0, "failures": 0}


@pytest.fixture(scope="module", autouse=True)
def _summary():
    yield
    print(f"\nschemathesis: {len(TALLY['operations'])} operations, {TALLY['requests']} requests, "
          f"{TALLY['server_errors']} 5xx, {TALLY['failures']} failed checks")


def _pinned(case, ids):
    for name in list(case.path_parameters or {}):
        case.path_parameters[name] = ids[name]


def _assert_json_error(response):
    if response.status_code >= 400:
        content_type = (response.headers.get("content-type") or [""])[0]
        assert content_type.startswith("application/json"), (response.status_code,
                                                             response.text[:200])
        assert "detail" in response.json(), response.text[:200]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@pytest.mark.filterwarnings("ignore")
def test_generated_requests_stay_within_the_schema(case, world, wsgi_app):
    ids, tokens = world
    _pinned(case, ids)
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw")),
                             tick=False):
        for token in tokens.values():
            response = case.call(headers={"Authorization": token})
            TALLY["operations"].add(case.operation.label)
            TALLY["requests"] += 1
            TALLY["server_errors"] += response.status_code >= 500
            try:
                case.validate_response(response, checks=CHECKS)
                _assert_json_error(response)
            except Exception:
                TALLY["failures"] += 1
                raise


HOSTILE = {
    "nested 1000 deep": b"[" * 1000 + b"]" * 1000,
    "nested in a field": b'{"count": ' + b"[" * 999 + b"]" * 999 + b"}",
    "lone surrogate key": b'{"until": "2027-01", "add_ons": {"\\ud800": 1}}',
    "lone surrogate value": b'{"note": "\\udfff", "package": "\\udfff", "email": "\\ud800"}',
    "NUL byte": b'{"note": "a\\u0000", "package": "\\u0000", "name": "\\u0000"}',
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bodies_are_refused_in_json(name, api_schema, world):
    ids, tokens = world
    body = HOSTILE[name]
    seen, problems = 0, []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if "requestBody" not in operation.definition.raw:
            continue  # the operation reads no body
        for role, token in tokens.items():
            case = operation.Case(path_parameters={}, media_type="application/json")
            _pinned_operation(case, operation, ids)
            response = case.call(headers={"Authorization": token,
                                          "Content-Type": "application/json"}, data=body)
            seen += 1
            TALLY["operations"].add(operation.label)
            TALLY["requests"] += 1
            TALLY["server_errors"] += response.status_code >= 500
            content_type = (response.headers.get("content-type") or [""])[0]
            if response.status_code not in {400, 403, 404} or "json" not in content_type:
                problems.append((operation.label, role, response.status_code,
                                 response.text[:120]))
    assert seen > 25
    TALLY["failures"] += len(problems)
    assert problems == []


def _pinned_operation(case, operation, ids):
    for name in ids:
        if "{" + name + "}" in operation.path:
            case.path_parameters[name] = ids[name]
