"""Production security headers and settings (issue 13, item 11): a Content-Security-Policy that
allows scripts from this site only and a Permissions-Policy on every answer; no template has an
inline script or event handler; the HTTPS settings follow SITE_URL; the browsable API is off
unless DEBUG."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse

from billing_site.security import csp_allow, origin_of, permissions_policy_header

ROOT = Path(__file__).resolve().parent.parent.parent


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part}


@pytest.mark.parametrize("path", ["/login/", "/signup/", "/api/docs/", "/admin/login/",
                                  "/no-such-page/", "/account/users/"])
def test_every_answer_has_a_strict_script_policy_and_a_permissions_policy(client, db, path):
    response = client.get(path)

    policy = directives(response)
    assert policy["script-src"] == ["'self'"], policy
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_the_api_answers_carry_the_headers_too(client, db):
    response = client.get("/api/v1/accounts/")

    assert response.status_code in (401, 403)
    assert directives(response)["script-src"] == ["'self'"]
    assert "Permissions-Policy" in response


def test_a_page_widens_its_own_policy_only():
    response = csp_allow(HttpResponse(), script_src=["https://js.stripe.com"])
    csp_allow(response, script_src=["https://other.example"], frame_src=["https://x.example"])

    assert response._csp_update == {
        "script-src": ["https://js.stripe.com", "https://other.example"],
        "frame-src": ["https://x.example"],
    }
    assert origin_of("http://127.0.0.1:8420/js.stripe.com/v3/") == "http://127.0.0.1:8420"


def test_the_permissions_policy_header_syntax():
    header = permissions_policy_header({"camera": [], "payment": ["self", "https://js.stripe.com"]})

    assert header == 'camera=(), payment=(self "https://js.stripe.com")'


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"(?:href|src|action)\s*=\s*[\"']\s*javascript:", re.I)


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for folder in TEMPLATE_DIRS:
        for path in folder.rglob("*.html"):
            text = path.read_text()
            for pattern in (INLINE_SCRIPT, EVENT_HANDLER, JS_URL):
                offenders += [f"{path.relative_to(ROOT)}: {m.group(0)[:60]}"
                              for m in pattern.finditer(text)]

    assert offenders == []


def test_the_scan_finds_what_the_policy_would_block():
    """The patterns above can fail: each catches its kind of inline code."""
    assert INLINE_SCRIPT.search('<script>alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/js/seats.js" defer></script>')
    assert not INLINE_SCRIPT.search('<script type="application/json" id="d">{}</script>')
    assert EVENT_HANDLER.search('<button type="button" onclick="go()">')
    assert JS_URL.search('<a href="javascript:void(0)">')


def _settings_with(env):
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps({k: getattr(s, k, None) for k in ('SECURE_SSL_REDIRECT', "
            "'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
            "'SECURE_PROXY_SSL_HEADER')}))")
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "SITE_URL"))}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**clean, "DJANGO_SETTINGS_MODULE": "billing_site.settings", **env}, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_an_https_site_url_turns_on_secure_cookies_redirect_and_hsts():
    values = _settings_with({"SITE_URL": "https://billing.example"})

    assert values == {"SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000,
                      "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
                      "SECURE_PROXY_SSL_HEADER": None}


def test_an_http_site_url_leaves_them_off_and_each_can_be_set_alone():
    assert _settings_with({"SITE_URL": "http://localhost:8000"}) == {
        "SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 0, "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False, "SECURE_PROXY_SSL_HEADER": None}
    values = _settings_with({"SITE_URL": "https://billing.example", "SECURE_SSL_REDIRECT": "false",
                             "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https"})
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_a_malformed_proxy_header_setting_is_refused():
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _settings_with({"SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"})

    assert "SECURE_PROXY_SSL_HEADER is a header and a value" in refused.value.stderr


def test_the_browsable_api_is_off_without_debug(client, staff):
    assert not settings.DEBUG
    client.force_login(staff)
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

    response = client.get("/api/v1/accounts/", HTTP_ACCEPT=browser_accept)
    html_only = client.get("/api/v1/accounts/", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert html_only.status_code == 406
    assert "detail" in html_only.json()
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] == [
        "rest_framework.renderers.JSONRenderer"]
