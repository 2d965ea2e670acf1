"""A private localstripe (the local Stripe stand-in) for the tests and the `make run` demo.

`start()` runs localstripe on a free local port as a subprocess, waits until it answers and hands
back a `LocalStripe` with its URL and the few `/_config/` calls the project needs: register a
webhook, clear the data, stop.

Isolation. localstripe 1.15 keeps its objects in memory and, on every write, pickles them all to a
path hard-coded as `/tmp/localstripe.pickle` (not `tempfile.gettempdir()`, so a private TMPDIR
does not help); without `--from-scratch` it starts by loading that file. Every instance on the
machine therefore writes the same file, and loads whatever another one left there. We run the
installed localstripe through a few lines of Python that point its load/save at a file of our
own choosing, or at nothing:

- `start()` (tests): `--from-scratch` and nothing saved: the state lives only in this process's
  memory, so parallel test runs never see each other's objects.
- `start(state_file=path)` (the demo): loaded from and saved to `path`, so a restarted demo still
  finds the PaymentIntents its database refers to.

Webhook registrations are in memory only (localstripe keeps them outside its data, so
`clear()` does not remove them); `register_webhook(..., events=[])` silences one.

This module needs no Django and imports nothing of the project.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Runs in the localstripe subprocess: argv[1] is the state file ("" = keep the state in memory),
# the rest are localstripe's own arguments.
_SERVE = """\
import os, pickle, sys
from localstripe import resources, server

state_file = sys.argv.pop(1)

def try_load_from_disk(store):
    if not state_file:
        return
    try:
        with open(state_file, 'rb') as f:
            saved = pickle.load(f)
    except FileNotFoundError:
        return
    except Exception as e:  # e.g. saved by another localstripe version: start empty
        print('localstripe: ignoring unreadable state in', state_file, '-', e, flush=True)
        return
    store.clear()
    store.update(saved)

def dump_to_disk(store):
    if state_file:
        with open(state_file + '.tmp', 'wb') as f:
            pickle.dump(store, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(state_file + '.tmp', state_file)

resources.Store.try_load_from_disk = try_load_from_disk
resources.Store.dump_to_disk = dump_to_disk
server.start()
"""


class LocalStripeError(RuntimeError):
    """localstripe did not start or refused a `/_config/` call."""


def free_port(host="127.0.0.1"):
    """A TCP port nobody listens on right now (the caller binds it soon after)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class LocalStripe:
    """One running localstripe. `url` is what STRIPE_API_BASE is set to."""

    process: subprocess.Popen
    port: int
    log_path: Path
    host: str = "127.0.0.1"
    _tmpdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def js_url(self):
        """localstripe's Stripe.js shim (served by localstripe itself)."""
        return f"{self.url}/js.stripe.com/v3/"

    def log(self):
        """Everything localstripe printed so far (its access log and errors)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _config(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (our own http:// URL)
            f"{self.url}{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                response.read()
        except urllib.error.HTTPError as e:
            raise LocalStripeError(
                f"localstripe {method} {path} answered {e.code}: {e.read()[:300]!r}") from e

    def register_webhook(self, webhook_id, url, secret, events=None):
        """Deliver events to `url`, signed with `secret` (as Stripe does). Registering the same
        `webhook_id` again replaces it; `events` limits the event types (`[]`: none)."""
        body = {"url": url, "secret": secret}
        if events is not None:
            body["events"] = list(events)
        self._config("POST", f"/_config/webhooks/{webhook_id}", body)

    def clear(self):
        """Delete every object (customers, intents, events…); webhooks stay registered."""
        self._config("DELETE", "/_config/data")

    def running(self):
        return self.process.poll() is None

    def stop(self, timeout=5):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def _answers(url):
    try:
        with urllib.request.urlopen(f"{url}/js.stripe.com/v3/", timeout=1):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True  # it answered, just not with a 200
    except OSError:
        return False


def start(*, port=None, host="127.0.0.1", state_file=None, log_path=None, timeout=20):
    """Start a localstripe and return it once it answers HTTP.

    `port`: a free one is picked when not given (and another one tried if it was taken in the
    meantime). `state_file`: None keeps the objects in memory only (a fresh, private instance); a
    path loads and saves them there. `log_path`: where its output goes (default: a private
    temporary folder removed by `stop()`).
    Raises `LocalStripeError` when it exits or does not answer within `timeout` seconds.
    """
    attempts = 1 if port else 3
    for attempt in range(attempts):
        try:
            return _start_once(port or free_port(host), host, state_file, log_path, timeout)
        except LocalStripeError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _start_once(port, host, state_file, log_path, timeout):
    tmpdir = None
    if log_path is None:
        tmpdir = tempfile.TemporaryDirectory(prefix="localstripe-")
        log_path = Path(tmpdir.name) / "localstripe.log"
    log_path = Path(log_path)
    args = [sys.executable, "-c", _SERVE, str(state_file or ""), "--port", str(port)]
    if state_file is None:
        args.append("--from-scratch")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    instance = LocalStripe(process=process, port=port, log_path=log_path, host=host,
                           _tmpdir=tmpdir)
    deadline = time.monotonic() + timeout
    while not _answers(instance.url):
        if process.poll() is not None or time.monotonic() > deadline:
            output = instance.log()
            instance.stop()
            raise LocalStripeError(
                f"localstripe on port {port} did not start (exit code {process.returncode}):\n"
                f"{output[-2000:]}")
        time.sleep(0.1)
    return instance
