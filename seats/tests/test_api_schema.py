"""The OpenAPI schema of the API and its interactive docs, served without any CDN."""

import re

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

V1 = "/api/v1/accounts"
# every path of the contract with its operations (method -> operationId)
EXPECTED_OPERATIONS = {
    f"{V1}/": {"get": "accounts_list", "post": "accounts_create"},
    f"{V1}/{{account_id}}/": {"get": "accounts_retrieve"},
    f"{V1}/{{account_id}}/seats/": {"get": "seats_list", "post": "seats_add"},
    f"{V1}/{{account_id}}/seats/{{seat_id}}/": {"delete": "seats_remove"},
    f"{V1}/{{account_id}}/seats/{{seat_id}}/assign/": {"post": "seats_assign"},
    f"{V1}/{{account_id}}/members/": {"get": "members_list", "post": "members_invite"},
    f"{V1}/{{account_id}}/members/{{member_id}}/suspend/": {"post": "members_suspend"},
    f"{V1}/{{account_id}}/members/{{member_id}}/delete/": {"post": "members_delete"},
    f"{V1}/{{account_id}}/members/{{member_id}}/restore/": {"post": "members_restore"},
    f"{V1}/{{account_id}}/members/{{member_id}}/cancel-scheduled/": {
        "post": "members_cancel_scheduled"
    },
    f"{V1}/{{account_id}}/members/{{member_id}}/role/": {"post": "members_role"},
    # plans (issue 3)
    f"{V1}/{{account_id}}/entitlements/": {"get": "entitlements_retrieve"},
    f"{V1}/{{account_id}}/renewal-quote/": {"post": "renewal_quote"},
    f"{V1}/{{account_id}}/package-change/": {"post": "package_change"},
    f"{V1}/{{account_id}}/orders/": {"get": "orders_list"},
    f"{V1}/{{account_id}}/orders/renewal/": {"post": "orders_renewal_create"},
    f"{V1}/{{account_id}}/orders/add-ons/": {"post": "orders_addons_create"},
    f"{V1}/{{account_id}}/billing-period/": {"post": "billing_period_change"},
}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def _ref(schema, node):
    """Follow a `$ref` to its component."""
    name = node["$ref"].rsplit("/", 1)[1]
    return schema["components"]["schemas"][name]


def _body(schema, operation, status):
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_schema_generation_has_no_warnings_and_validates(db, tmp_path):
    target = tmp_path / "schema.yml"

    # --fail-on-warn turns every warning (unresolvable field, component name clash, ...) into an
    # error; --validate checks the result against the OpenAPI specification
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    generated = yaml.safe_load(target.read_text())
    documented = {path: set(ops) for path, ops in generated["paths"].items()}
    # every operation of the contract is documented (later slices add more paths)
    for path, operations in EXPECTED_OPERATIONS.items():
        assert set(operations) <= documented.get(path, set()), path


def test_schema_endpoint_serves_openapi_with_every_accounts_path(schema):
    assert schema["openapi"].startswith("3.")
    for path, operations in EXPECTED_OPERATIONS.items():
        for method, operation_id in operations.items():
            assert schema["paths"][path][method]["operationId"] == operation_id


def test_schema_documents_the_output_field_names_of_the_contract(schema):
    components = schema["components"]["schemas"]

    assert set(components["Account"]["properties"]) == {
        "id", "name", "package", "country", "currency", "trial", "trial_ends_on",
        "billing_period",
    }
    assert set(components["Seat"]["properties"]) == {
        "id", "number", "valid_until", "paid_through", "created", "member",
        "reserved_for_invitation",
    }
    assert components["Seat"]["properties"]["paid_through"] == {
        "type": "string", "format": "date", "nullable": True,
        "description": "Last day already paid; null for a seat never paid.",
    }
    assert set(components["Member"]["properties"]) == {"id", "email", "role", "state", "seat",
                                                         "seat_number"}
    assert components["Member"]["properties"]["seat"]["nullable"] is True


def test_schema_documents_request_and_response_bodies(schema):
    paths = schema["paths"]

    add = paths[f"{V1}/{{account_id}}/seats/"]["post"]
    add_input = _ref(schema, add["requestBody"]["content"]["application/json"]["schema"])
    assert add_input["properties"]["count"]["type"] == "integer"
    assert add_input["required"] == ["count"]
    assert _body(schema, add, "201") == {"type": "array",
                                         "items": {"$ref": "#/components/schemas/Seat"}}
    assert _body(schema, add, "400") == {"$ref": "#/components/schemas/Error"}

    create = paths[f"{V1}/"]["post"]
    create_input = _ref(schema, create["requestBody"]["content"]["application/json"]["schema"])
    assert set(create_input["properties"]) == {"name", "package", "country", "trial"}
    assert create_input["properties"]["trial"]["default"] is True
    assert sorted(create_input["required"]) == ["country", "name", "package"]
    assert _body(schema, create, "201") == {"$ref": "#/components/schemas/Account"}

    invite = paths[f"{V1}/{{account_id}}/members/"]["post"]
    invite_input = _ref(schema, invite["requestBody"]["content"]["application/json"]["schema"])
    assert set(invite_input["properties"]) == {"email", "role"}
    assert _ref(schema, invite_input["properties"]["role"])["enum"] == ["admin", "manager", "user"]

    for action in ("suspend", "delete"):
        release = paths[f"{V1}/{{account_id}}/members/{{member_id}}/{action}/"]["post"]
        body = _ref(schema, release["requestBody"]["content"]["application/json"]["schema"])
        assert set(body["properties"]) == {"remove_seat", "effective"}
        assert body["properties"]["effective"]["format"] == "date"
        assert "required" not in body  # both optional
        assert _body(schema, release, "200") == {"$ref": "#/components/schemas/Member"}

    assign = paths[f"{V1}/{{account_id}}/seats/{{seat_id}}/assign/"]["post"]
    assign_input = _ref(schema, assign["requestBody"]["content"]["application/json"]["schema"])
    assert assign_input["properties"]["member"]["type"] == "integer"

    remove = paths[f"{V1}/{{account_id}}/seats/{{seat_id}}/"]["delete"]
    assert "requestBody" not in remove
    assert "content" not in remove["responses"]["204"]


def test_schema_declares_token_and_session_auth(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "Token-based authentication with required prefix \"Token\"",
    }
    assert schemes["cookieAuth"]["in"] == "cookie"


def test_docs_page_is_served_with_local_static_assets_only(db):
    client = APIClient()

    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 4  # the stylesheet, the bundle, the preset and the start-up script
    # the start-up script is a file of its own (no inline script: Content-Security-Policy)
    assert all(url.startswith("/static/drf_spectacular_sidecar/") or url == "/api/docs/?script="
               for url in assets), assets
    assert not re.search(r"https?://", html), "the docs page must not load anything remote"
    assert not re.search(r"<script>", html)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert '"/api/schema/"' in script.content.decode()
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        asset.close()
