"""`manage.py check --deploy` with the production values of docker-compose.yml reports nothing
(issue 13, item 11). The compose file's `${VAR:-default}` take their default; the secrets it
requires (`${VAR:?…}`) get test values of the right shape (a long random SECRET_KEY)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "POSTGRES_PASSWORD": "compose-test-password",
}


def _interpolate(value: str) -> str:
    """Docker compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`, resolved without the
    caller's environment: defaults as written, required values from REQUIRED."""

    def resolve(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if op == ":-":
            return arg
        return REQUIRED[name]

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", resolve, value)


def compose_web_environment() -> dict[str, str]:
    """The environment docker compose gives the web service."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = compose["services"]["web"]["environment"]
    return {name: _interpolate(str(value)) for name, value in env.items()}


def run_deploy_check(env):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )


def test_compose_sets_the_production_security_values():
    env = compose_web_environment()

    assert env["DEBUG"] == "false"
    assert env["SITE_URL"].startswith("https://")
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
                 "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert env[name] == "true", name
    assert int(env["SECURE_HSTS_SECONDS"]) >= 31536000
    assert env["SECURE_PROXY_SSL_HEADER"] == "HTTP_X_FORWARDED_PROTO,https"


def test_deploy_check_passes_with_the_compose_production_values():
    result = run_deploy_check(compose_web_environment())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout, result.stdout


def test_deploy_check_fails_without_them():
    """The check can fail: the zero-configuration settings (http, demo key) are refused."""
    env = compose_web_environment()
    for name in ("SITE_URL", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS",
                 "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SESSION_COOKIE_SECURE",
                 "CSRF_COOKIE_SECURE", "SECRET_KEY"):
        env.pop(name)

    result = run_deploy_check(env)

    assert result.returncode != 0
    output = result.stdout + result.stderr
    for check in ("security.W004", "security.W008", "security.W009", "security.W012",
                  "security.W016"):
        assert check in output, check
