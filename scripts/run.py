"""`make run`: prepare the database and demo data, then run web + Celery worker + beat together.

With no configuration: SQLite (./db.sqlite3) and Celery's filesystem broker (./var). With
DATABASE_URL / REDIS_URL in the environment: PostgreSQL / Redis. Ctrl-C stops all three.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
HOST = os.environ.get("HOST", "127.0.0.1")
PORT = os.environ.get("PORT", "8000")


def manage(*args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, check=True)


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
    os.environ.setdefault("SITE_URL", f"http://{HOST}:{PORT}")
    print("Database:", os.environ.get("DATABASE_URL") or "SQLite (db.sqlite3)")
    print("Broker:  ", os.environ.get("REDIS_URL") or "embedded filesystem broker (var/)")
    manage("migrate", "--noinput", "-v", "0")
    manage("setup_periodic_tasks")
    manage("load_demo")
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
          "/api/docs/). Ctrl-C stops it.\n", flush=True)

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
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while True:  # if one part dies, stop the others rather than run half an app
        for proc in procs:
            if proc.poll() is not None:
                print(f"{' '.join(proc.args[:5])} exited with {proc.returncode}; stopping.")
                stop()
        time.sleep(1)


if __name__ == "__main__":
    main()
