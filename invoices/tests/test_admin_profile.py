"""Invoice data are read-only in the Django admin: a plain save would skip the VIES check, the
buyer-data correction and the audit row of `billing_profile_update`."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from invoices.models import BillingProfile

from . import billing_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(make_account):
    account, _admin = make_account("Acme")
    return billing_profile(account)


@pytest.fixture
def root_client(client):
    root = get_user_model().objects.create_superuser("root@x.example", "root@x.example", "pw")
    client.force_login(root)
    return client


def test_change_view_shows_the_invoice_data_without_a_save(profile, root_client):
    response = root_client.get(reverse("admin:invoices_billingprofile_change",
                                       args=[profile.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Acme Sp. z o.o." in content  # shown, as text
    assert 'name="_save"' not in content
    assert 'name="name"' not in content  # no input fields
    assert response.context["adminform"].readonly_fields  # every field read-only


def test_a_posted_change_is_refused_and_nothing_is_saved(profile, root_client):
    url = reverse("admin:invoices_billingprofile_change", args=[profile.pk])

    response = root_client.post(url, {
        "account": profile.account_id, "kind": "company", "name": "Changed in the admin",
        "street": "x", "postal_code": "00-001", "city": "x", "country": "PL",
        "tax_id": "5252344078", "tax_id_status": "valid", "invoice_email": "x@x.example",
    })

    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.name == "Acme Sp. z o.o."


def test_invoice_data_cannot_be_added_or_deleted_in_the_admin(profile, root_client):
    assert root_client.get(reverse("admin:invoices_billingprofile_add")).status_code == 403
    delete = reverse("admin:invoices_billingprofile_delete", args=[profile.pk])
    assert root_client.post(delete, {"post": "yes"}).status_code == 403
    assert BillingProfile.objects.filter(pk=profile.pk).exists()
