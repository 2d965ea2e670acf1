"""Benchmark: queries and in-process time of the account pages (issue 16, "Speed").

Run from the project root: `.venv/bin/python -m bench bench_pages` (or `make bench`, which runs
every bench), or `.venv/bin/python bench/bench_pages.py [--requests 200] [--seats 10,1000]`.

What it measures, per account size (10 and 1 000 seats by default): the Renew page, the Users
page, the History page and the renewal-quote API (`POST /api/v1/accounts/<id>/renewal-quote/`,
token authentication), and a bare view that renders `base.html` with no context of its own
(`_bare`, reachable only through this module's URLconf: the product has no such URL). Every
request goes through Django's test `Client` (the API through DRF's `APIClient`) and the full
middleware stack, signed in as the account's administrator, so the session, the user and the
access check are in every figure, the bare view's included. For each page: the statements of
one request (`CaptureQueriesContext`), then, after 10 warm-up requests each, 200 requests per
page taken in turn (page 1, page 2, …, page 1, …: a burst of load elsewhere on the machine hits
every page alike), reported as the median and the ratio to the bare view's median.

Budget (issue 16): Renew ≤ 8 statements, Users ≤ 6, History ≤ 6, renewal-quote API ≤ 8, and
each page at most 2× the bare view's median. `main()` returns 1 when a page is over either.

Database: `BENCH_PAGES_DATABASE_URL` (default
postgres://postgres@127.0.0.1:5432/billing_bench_pages), created and migrated when missing
through Django's own test-database machinery (`create_test_db(keepdb=True)`, its test name set
to that same name); `DATABASE_URL` is deliberately not used, so `make bench` never writes into
the development database. The accounts are written inside a transaction that is rolled back at
the end, so the database keeps only the migrated catalogue between runs. The cache (API
throttle counters) is whatever `REDIS_URL` selects, as in production; the throttle rates are
raised for the run so that 200 requests a minute are not refused.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/billing_bench_pages"
BUDGETS = {"renew": 8, "users": 6, "history": 6, "renewal-quote API": 8}
MAX_RATIO = 2.0
WARM_UP = 10


def _django():
    import logging

    logging.getLogger("axes").setLevel(logging.WARNING)  # one "successful login" per size
    os.environ["EMAIL_URL"] = "memorymail://"  # the admin's invitation goes nowhere
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_PAGES_DATABASE_URL",
                                                DEFAULT_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = name
    connection.settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=False, serialize=False,
                                       keepdb=True)


# --- the bare view and this module's URLconf ----------------------------------------------------


def _bare(request):
    from django.shortcuts import render

    return render(request, "base.html")


def _urlpatterns():
    from django.urls import include, path

    return [path("bench-bare/", _bare), path("", include("billing_site.urls"))]


def __getattr__(name):  # `urlpatterns`, built only once Django is set up
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


# --- data ---------------------------------------------------------------------------------------


def _account(name, seats, as_of):
    """An account with `seats` seats (the admin's included) of three kinds — paid through next
    month's end, added 13 days ago and never paid, lapsed 10 days ago — and 2 chatbot packs;
    the same shape as `plans/tests/test_query_counts.py`, dated from today."""
    from catalogue.models import AddOn
    from plans.models import AccountAddOn
    from plans.pricing import add_months, month_end
    from seats import services
    from seats.models import MemberRole, Seat

    created = as_of - timedelta(days=45)
    account = services.account_create(name=name, package_code="base", country="PL",
                                      trial=False, actor=None, as_of=created)
    # an address of its own per run: the invitation e-mails are rate-limited per address in the
    # cache, which the rollback does not empty
    email = f"admin-{os.getpid()}-{time.time_ns()}@{name.lower()}.example"
    admin = services.member_invite(account=account, email=email,
                                   role=MemberRole.ADMIN, actor=None, as_of=created)
    next_end = month_end(*add_months((as_of.year, as_of.month), 1))
    kinds = [(next_end, next_end, created),
             (next_end, None, as_of - timedelta(days=13)),
             (as_of - timedelta(days=10), as_of - timedelta(days=10), created)]
    Seat.objects.bulk_create(
        Seat(account=account, valid_until=v, paid_through=p, created_on=c)
        for v, p, c in (kinds[i % 3] for i in range(seats - 1))
    )
    Seat.objects.filter(member=admin).update(valid_until=next_end, paid_through=next_end)
    AccountAddOn.objects.create(account=account, addon=AddOn.objects.get(code="chatbot"),
                                packs=2)
    return account, admin


def _clients(account, admin):
    from django.test import Client
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from billing_site.dates import today
    from plans.pricing import add_months

    browser = Client()
    browser.force_login(admin.user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin.user).key}")
    year, month = add_months((today().year, today().month), 11)
    body = {"until": f"{year:04d}-{month:02d}", "add_seats": 3, "add_ons": {"chatbot": 1}}
    quote_url = f"/api/v1/accounts/{account.pk}/renewal-quote/"
    return {
        "bare view": lambda: browser.get("/bench-bare/"),
        "renew": lambda: browser.get("/account/renew/"),
        "users": lambda: browser.get("/account/users/"),
        "history": lambda: browser.get("/account/history/"),
        "renewal-quote API": lambda: api.post(quote_url, body, format="json"),
    }


# --- measuring ----------------------------------------------------------------------------------


def _queries(call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        response = call()
    if response.status_code != 200:
        raise SystemExit(f"bench_pages: {response.status_code} from {response.request}")
    return len(context.captured_queries)


def _timings(pages, requests):
    for call in pages.values():
        for _ in range(WARM_UP):
            call()
    times = {name: [] for name in pages}
    for _ in range(requests):
        for name, call in pages.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def run_size(seats, requests):
    from django.db import transaction

    from billing_site.dates import today

    with transaction.atomic():
        account, admin = _account(f"Bench{seats}", seats, today())
        pages = _clients(account, admin)
        queries = {name: _queries(call) for name, call in pages.items()}
        medians = _timings(pages, requests)
        transaction.set_rollback(True)
    bare = medians["bare view"]
    ok = True
    print(f"\n### {seats} seats, {requests} requests per page")
    print(f"{'page':<20} {'queries':>7} {'budget':>6} {'median ms':>9} {'× bare':>6}")
    for name in pages:
        budget = BUDGETS.get(name)
        ratio = medians[name] / bare
        over = (budget is not None and queries[name] > budget) or ratio > MAX_RATIO
        ok = ok and not over
        print(f"{name:<20} {queries[name]:>7} {budget if budget else '–':>6} "
              f"{medians[name]:>9.2f} {ratio:>6.2f}{'  OVER' if over else ''}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seats", default="10,1000", help="account sizes, comma-separated")
    args = parser.parse_args()
    _django()
    from django.conf import settings
    from django.test.utils import override_settings

    rates = {scope: "1000000/min" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}
    with override_settings(ROOT_URLCONF="bench.bench_pages", DEBUG=False,
                           ALLOWED_HOSTS=["testserver"],
                           REST_FRAMEWORK={**settings.REST_FRAMEWORK,
                                           "DEFAULT_THROTTLE_RATES": rates}):
        print(f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
              f"{os.getloadavg()[2]:.2f} before")
        results = [run_size(int(size), args.requests) for size in args.seats.split(",")]
        print(f"load {os.getloadavg()[0]:.2f} after")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
