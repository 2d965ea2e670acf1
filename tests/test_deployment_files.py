"""docker-compose cannot run here, so check the production-like stack statically."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def command_text(service):
    cmd = service["command"]
    return " ".join(cmd) if isinstance(cmd, list) else cmd


def test_compose_declares_the_production_like_services():
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit"} <= set(services)


def test_compose_app_services_run_gunicorn_worker_and_database_beat():
    services = compose()["services"]
    assert "gunicorn billing_site.wsgi" in command_text(services["web"])
    assert "migrate" in command_text(services["web"])
    assert "worker" in command_text(services["worker"]).split()
    beat = command_text(services["beat"])
    assert "beat" in beat.split()
    assert "django_celery_beat.schedulers:DatabaseScheduler" in beat


def test_compose_app_services_get_database_redis_and_mail_from_environment():
    services = compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["EMAIL_URL"] == "smtp://mailpit:1025"
        # secrets are taken from the environment, never written into the file
        assert env["SECRET_KEY"].startswith("${")
        assert "postgres" in services[name]["depends_on"]


def test_ci_script_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme.split("\n\n", 3)[1] or "make test" in readme[:600]
    assert ci.rstrip().endswith("make test")
