"""Orders in the Django admin: shown read-only (status, amounts, quote); staff change a status only
through the action, which goes through `order_transition` and its table."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from plans import services
from plans.models import Order, OrderStatus
from seats import services as seat_services
from seats.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(catalogue):
    account = seat_services.account_create(name="Acme", package_code="base", country="PL",
                                            trial=False, actor=None, as_of=date(2026, 11, 16))
    seat_services.seats_add(account=account, count=1, actor=None, as_of=date(2026, 11, 16))
    return services.renewal_order_create(account=account, until=(2026, 12), actor=None,
                                         as_of=date(2026, 11, 16))


@pytest.fixture
def root(client):
    user = get_user_model().objects.create_superuser("root@x.example", "root@x.example", "pw")
    client.force_login(user)
    return user


def test_an_order_cannot_be_edited_in_the_admin(client, root, order):
    url = reverse("admin:plans_order_change", args=[order.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"status": "paid"})

    assert 'name="_save"' not in page
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING


def test_staff_cancel_a_pending_order_through_the_transition(client, root, order):
    paid = services.renewal_order_create(account=order.account, until=(2027, 1), actor=None,
                                         as_of=date(2026, 11, 16))
    services.order_transition(order=paid, to=OrderStatus.PAID, actor=None,
                              as_of=date(2026, 11, 16))

    client.post(reverse("admin:plans_order_changelist"),
                {"action": "cancel_pending_orders", "_selected_action": [order.pk, paid.pk]})

    order.refresh_from_db()
    assert (order.status, order.status_reason) == (OrderStatus.CANCELLED, "cancelled_by_staff")
    assert Order.objects.get(pk=paid.pk).status == OrderStatus.PAID  # refused by the table
    assert AuditEntry.objects.filter(action="order.status", target_id=order.pk,
                                     actor=root).exists()
