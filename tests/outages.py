"""Real outages for the fault tests (issue 13, items 12–14): a private Redis the test may stop and
start, Celery workers as real processes (so one can be SIGKILLed), the e-mails they send read back
from files, and a PostgreSQL row lock held from a second connection to stop a task at a known
point. The machine's shared Redis and PostgreSQL are never stopped."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
from django.db import connection

from billing_site.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, *, timeout=30.0, what="the condition"):
    """Poll `condition()` every 0.1 s until it is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class PrivateRedis:
    """`redis-server` on a free port, no persistence: `stop()` kills it (its queued messages are
    gone, as with a Redis that lost its data), `start()` brings it back on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), timeout=10, what="redis-server to answer")

    def stop(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def point_broker(url: str) -> None:
    """Make this process's Celery app publish to `url` (drops its pooled connections)."""
    celery_app.conf.broker_url = url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def lock_connection():
    """A second connection to the test database (autocommit off: `SELECT ... FOR UPDATE` holds
    its locks until `rollback()`)."""
    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"],
                           password=db["PASSWORD"] or None, dbname=db["NAME"])


def backends_waiting_for_a_lock(cursor) -> list[int]:
    """Server processes of the test database waiting for a lock (asked from a transaction, which
    would otherwise see one frozen snapshot of the statistics)."""
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'")
    return [pid for (pid,) in cursor.fetchall()]


class WorkerProcess:
    """`celery worker` as a child process (solo pool: the task runs in that process, so a
    SIGKILL of it is the whole worker dying, the harder case), on `broker_url`, writing e-mails
    as files into `mail_dir` and PDFs into `media_root`."""

    def __init__(self, *, broker_url, mail_dir, media_root, visibility_timeout=3600,
                 email_url=""):
        env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": broker_url,
               "EMAIL_URL": email_url or f"filemail:///{mail_dir}", "MEDIA_ROOT": str(media_root),
               "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout), "LANGUAGE_CODE": "en"}
        self.log_path = Path(mail_dir).parent / f"worker-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "billing_site", "worker", "-P", "solo",
             "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"outage-test-{self._log.fileno()}@%h"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def kill(self):
        """SIGKILL: no shutdown, no acknowledgement, no rollback sent to PostgreSQL."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text()


@contextmanager
def worker_process(**options):
    worker = WorkerProcess(**options)
    try:
        yield worker
    finally:
        worker.stop()


def emails_to(mail_dir, address: str) -> int:
    """How many e-mails the file backend wrote to `address` (one `To:` header each)."""
    return sum(path.read_text(errors="replace").count(f"\nTo: {address}\n")
               for path in Path(mail_dir).glob("*.log"))


class StallingSmtp:
    """A minimal SMTP server on a free port that can stall: while `stalling`, it takes a
    message's DATA and never answers it (the sender is stuck mid-send, as with a slow mail
    server), and counts it as not delivered when the sender goes away. `accepted` holds the raw
    messages it answered 250 to: what a real server would deliver."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.stalling = False
        self.stalled = threading.Event()  # a sender is stuck in DATA
        self.accepted: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self.sock.close()

    def _serve(self):
        while True:
            try:
                conn, _address = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        reader = conn.makefile("rb")
        with conn, reader:
            conn.sendall(b"220 stub\r\n")
            for raw in reader:
                command = raw.decode(errors="replace").strip().upper()
                if command.startswith("DATA"):
                    conn.sendall(b"354 go on\r\n")
                    lines = []
                    for line in reader:
                        if line in (b".\r\n", b".\n"):
                            break
                        lines.append(line.decode(errors="replace"))
                    if self.stalling:
                        self.stalled.set()
                        while reader.readline():  # until the sender is gone
                            pass
                        return
                    self.accepted.append("".join(lines))
                    conn.sendall(b"250 queued\r\n")
                elif command.startswith("QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # EHLO, MAIL FROM, RCPT TO, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")
