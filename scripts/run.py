"""`make run`: prepare the database and demo data, then run web + Celery worker + beat together.

With no configuration: SQLite (./db.sqlite3) and Celery's filesystem broker (./var). With
DATABASE_URL / REDIS_URL in the environment: PostgreSQL / Redis. Without STRIPE_SECRET_KEY,
payments go to a localstripe (the local Stripe stand-in) started here on a free port, with test
keys, its state kept in ./var/localstripe.pickle and the app's webhook endpoint registered in it.
Ctrl-C stops them all.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's packages (not installed into the venv)

from payments import localstripe  # noqa: E402 (needs the path above; imports no Django)

PY = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR") or ROOT / "var")


def start_localstripe():
    """Without a Stripe key: a localstripe for the demo, configured in the environment that web,
    worker and beat inherit, with the app's webhook endpoint registered. None with a key."""
    if os.environ.get("STRIPE_SECRET_KEY"):
        print("Stripe:  ", os.environ.get("STRIPE_API_BASE") or "api.stripe.com")
        return None
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    server = localstripe.start(state_file=VAR_DIR / "localstripe.pickle",
                               log_path=VAR_DIR / "localstripe.log")
    webhook_secret = "whsec_" + secrets.token_hex(16)
    os.environ.update(
        STRIPE_API_BASE=server.url,
        STRIPE_SECRET_KEY="sk_test_localstripe",
        STRIPE_PUBLISHABLE_KEY="pk_test_localstripe",
        STRIPE_WEBHOOK_SECRET=webhook_secret,
    )
    app_host = "127.0.0.1" if HOST in ("0.0.0.0", "::", "") else HOST  # noqa: S104 (a name)
    webhook_url = f"http://{app_host}:{PORT}/webhooks/stripe/"
    server.register_webhook("app", webhook_url, webhook_secret)
    # for a shell running the card jobs by hand next to the demo: `set -a; . var/stripe.env`
    names = ("STRIPE_API_BASE", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
             "STRIPE_WEBHOOK_SECRET")
    (VAR_DIR / "stripe.env").write_text("".join(f"{n}={os.environ[n]}\n" for n in names))
    print(f"Stripe:   localstripe runs at {server.url} (test keys; events to {webhook_url}; "
          f"log in {VAR_DIR / 'localstripe.log'}; settings for a shell in "
          f"{VAR_DIR / 'stripe.env'})")
    return server


def manage(*args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
    os.environ.setdefault("SITE_URL", f"http://{HOST}:{PORT}")
    print("Database:", os.environ.get("DATABASE_URL") or "SQLite (db.sqlite3)")
    print("Broker:  ", os.environ.get("REDIS_URL") or "embedded filesystem broker (var/)")
    stripe = start_localstripe()
    try:
        manage("migrate", "--noinput", "-v", "0")
        manage("setup_periodic_tasks")
        manage("load_demo")
    except BaseException:
        if stripe:
            stripe.stop()
        raise
    celery = [PY, "-m", "celery", "-A", "billing_site"]
    procs = [
        subprocess.Popen([*celery, "worker", "-l", "info", "--concurrency", "2"], cwd=ROOT),
        subprocess.Popen([*celery, "beat", "-l", "info"], cwd=ROOT),
        subprocess.Popen(
            [PY, "-m", "gunicorn", "billing_site.wsgi", "-b", f"{HOST}:{PORT}",
             "--workers", "2", "--threads", "4", "--access-logfile", "-"],
            cwd=ROOT,
        ),
    ]
    print(f"\nThe app runs at http://{HOST}:{PORT}/  (Django admin: /admin/, API docs: "
          "/api/docs/). E-mails (sign-up links, invitations, password resets) are printed in\n"
          "this console: look for the \"To:\" line, the link is on a line of its own below it. "
          "Ctrl-C stops it.\n", flush=True)

    def stop(*_args):
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        if stripe:
            stripe.stop()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:  # if one part dies, stop the others rather than run half an app
        for proc in procs:
            if proc.poll() is not None:
                print(f"{' '.join(proc.args[:5])} exited with {proc.returncode}; stopping.")
                stop()
        if stripe and not stripe.running():
            print(f"localstripe exited with {stripe.process.returncode} (see its log); stopping.")
            stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
