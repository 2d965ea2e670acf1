"""README's `run` command, zero configuration: SQLite + the embedded broker, web + worker + beat.

Runs scripts/run.py (what `make run` calls after installing) in a temporary copy of the settings'
paths, waits for the login page, and checks that a task queued on the embedded broker is executed
by the embedded worker."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_app(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",  # keep the developer's db alone
        DEMO_VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "run.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "scripts/run.py"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield port, log, env
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_run_command_starts_web_worker_and_beat_with_demo_logins(demo_app, tmp_path):
    port, log, env = demo_app

    def login_page_up():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    wait_for(login_page_up, 120, "the login page")
    text = log.read_text()
    assert "Demo logins" in text and "admin@acme.example" in text
    assert f"http://127.0.0.1:{port}/" in text
    wait_for(lambda: "celery@" in log.read_text() and "ready" in log.read_text(), 60,
             "the worker to be ready")
    wait_for(lambda: "beat: Starting" in log.read_text(), 60, "beat to start")

    # a task sent through the embedded broker is executed by the embedded worker
    code = (
        "import django; django.setup();"
        "from billing_site.tasks import heartbeat;"
        "print('RESULT', heartbeat.delay().get(timeout=60))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={
        **env, "DJANGO_SETTINGS_MODULE": "billing_site.settings"},
        capture_output=True, text=True, timeout=90)
    assert re.search(r"RESULT \{'alive': True", done.stdout), done.stdout + done.stderr

    # the demo's documents are rendered by the worker into MEDIA_ROOT, without lock errors from
    # the processes sharing the SQLite file
    pdfs = tmp_path / "media" / "documents"
    wait_for(lambda: len(list(pdfs.rglob("*.pdf"))) == 3, 90, "the demo PDFs")
    assert "database is locked" not in log.read_text()
