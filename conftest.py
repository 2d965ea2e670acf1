"""Fixtures shared by every app's tests. State is built through the services, at fixed dates."""

import uuid
from datetime import date

import pytest

from billing_site.celery import app as celery_app
from catalogue.models import Package
from seats import services
from seats.models import MemberRole
from seats.tests.helpers import seats_pay_through, seats_set_validity

AS_OF = date(2026, 11, 16)  # a Monday; tests that care about the date pass their own


def pytest_configure(config):
    """The suite proves locking, constraints and concurrency, which SQLite cannot: refuse to run
    on anything but PostgreSQL (and a Redis broker), as `make test` sets them up."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(
            f"The tests need PostgreSQL, not {engine}: run `make test`, or set DATABASE_URL="
            "postgres://postgres@127.0.0.1:5432/billing and REDIS_URL=redis://127.0.0.1:6379/0."
        )
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        raise pytest.UsageError("The tests need a Redis broker: set REDIS_URL (see `make test`).")


@pytest.fixture(autouse=True)
def _celery_eager(request):
    """Unit tests run tasks inline; tests marked `worker` use a real worker against Redis."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Real hashers cost ~0.3 s a user; the suite creates hundreds. Login still checks them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _own_cache(settings):
    """Each test counts API throttles and per-address e-mail limits afresh: the shared cache
    (Redis, like production) gets a key prefix of its own per test, so counts neither leak from
    one test to the next nor survive a run."""
    settings.CACHES = {
        name: {**config, "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
        for name, config in settings.CACHES.items()
    }


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English messages; the Polish translation is tested on its own."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def as_of():
    return AS_OF


@pytest.fixture
def catalogue(db):
    """The default packages. Migrations seed them, but the flush that ends every transactional
    test wipes them, so tests that need them ask for this fixture (idempotent). `db` follows the
    test's own django_db marker, so transactional tests stay transactional."""
    from django.apps import apps

    from catalogue.defaults import catalogue_models, seed_default_catalogue

    seed_default_catalogue(catalogue_models(apps))
    return Package.objects


@pytest.fixture
def base_package(db, catalogue):
    return Package.objects.get(code="base")


@pytest.fixture
def make_account(catalogue):
    """make_account(name, seats=N extra free seats, as_of=..., trial=False) -> (account, admin)."""

    def _make(name="Acme", *, country="PL", trial=False, extra_seats=0, as_of=AS_OF,
              admin_email=None):
        account = services.account_create(
            name=name, package_code="base", country=country, trial=trial, actor=None, as_of=as_of
        )
        email = admin_email or f"admin@{name.lower().replace(' ', '-')}.example"
        admin = services.member_invite(
            account=account, email=email, role=MemberRole.ADMIN, actor=None, as_of=as_of
        )
        admin.user.set_password("pass-Word-123")
        admin.user.save()
        if extra_seats:
            services.seats_add(account=account, count=extra_seats, actor=None, as_of=as_of)
        return account, admin

    return _make


@pytest.fixture
def seat_validity(db):
    """Set seats' dates through the validity ledger (as a booked renewal or staff would):
    `seat_validity.pay_through(seats, day)`, `seat_validity.set(seats, valid_until=...,
    paid_through=...)`. Plain imports of the same helpers: `seats.tests.helpers`."""

    class SeatValidity:
        set = staticmethod(seats_set_validity)
        pay_through = staticmethod(seats_pay_through)

    return SeatValidity


@pytest.fixture
def staff(django_user_model):
    """A vendor staff login in no group (API tests: staff may act on any account)."""
    return django_user_model.objects.create_user(
        username="ops@vendor.example", email="ops@vendor.example", password="pass-Word-123",
        is_staff=True,
    )


@pytest.fixture
def make_member(catalogue):
    def _make(account, email, role=MemberRole.USER, *, as_of=AS_OF, password="pass-Word-123"):
        member = services.member_invite(
            account=account, email=email, role=role, actor=None, as_of=as_of
        )
        member.user.set_password(password)
        member.user.save()
        return member

    return _make
