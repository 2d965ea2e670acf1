"""The zero-configuration demo runs web, worker and beat on one SQLite file. Two processes that
read and then write in a transaction must queue, not fail with "database is locked" (which SQLite's
default deferred transactions do when both try to upgrade their read lock at once)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import sys, threading, time
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS counter (n integer)")
    c.execute("INSERT INTO counter VALUES (0)")
connection.close()
barrier = threading.Barrier(2)
errors = []

def bump():
    try:
        connection.ensure_connection()
        barrier.wait(timeout=5)  # start both transactions together
        with transaction.atomic():
            with connection.cursor() as c:
                c.execute("SELECT n FROM counter")
                n = c.fetchone()[0]
                time.sleep(0.3)  # deferred mode: both now hold a read lock and want to write
                c.execute("UPDATE counter SET n = %s", [n + 1])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=bump) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
with connection.cursor() as c:
    c.execute("SELECT n FROM counter")
    print("ERRORS", errors, "COUNT", c.fetchone()[0])
'''


def test_demo_sqlite_transactions_queue_for_the_write_lock_instead_of_failing(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "billing_site.settings", "PATH": "/usr/bin:/bin",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "DEMO_VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    # both transactions committed, one after the other
    assert "ERRORS [] COUNT 2" in done.stdout, done.stdout + done.stderr
