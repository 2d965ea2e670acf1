"""The admin speaks Polish all through (issue 12): third-party apps' names and models in the
sidebar and index (django-axes, django-celery-results, django-celery-beat), our own models' names,
axes' pages, the product's name in the titles, "E-mail" on the login form, the ops jobs'
schedules in words, and document lines with formatted dates."""

import re
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from billing_site.schedules import describe_crontab
from invoices.tests.factories import Line, issued_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client():
    root = get_user_model().objects.create_superuser("root@x.example", "root@x.example", "pw")
    client = Client()
    client.force_login(root)
    return client


def _in(client, language, url):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _index_names(html):
    """The app captions and model names of the admin index."""
    main = html[html.index('id="content-main"'):]
    return [name.strip() for name in
            re.findall(r'<(?:caption|th scope="row")[^>]*>\s*<a [^>]*>([^<]+)</a>', main)]


def test_every_admin_index_entry_is_translated_to_polish(root_client):
    english = _index_names(_in(root_client, "en", "/admin/"))
    polish = _index_names(_in(root_client, "pl", "/admin/"))

    assert len(english) == len(polish) > 60
    assert [name for name in english if name in polish] == []
    for expected in ("Blokada logowania", "Nieudane próby dostępu", "Wyniki zadań",
                     "Wyniki grup zadań", "Zadania okresowe", "Harmonogramy cron",
                     "Pozycje dokumentów", "Sumy VAT dokumentów", "Windykacja",
                     "Obsługa serwisu"):
        assert expected in polish


def test_the_admin_titles_name_the_product(root_client):
    english = _in(root_client, "en", "/admin/")
    polish = _in(root_client, "pl", "/admin/")

    assert "Django" not in english and "Django" not in polish
    assert "<title>Seat Billing: data and operations | Seat Billing administration</title>" \
        in english
    assert "Seat Billing — administracja" in polish
    assert "Seat Billing — administration" in english


@pytest.mark.parametrize(("language", "label"), [("en", "E-mail"), ("pl", "E-mail")])
def test_the_admin_login_asks_for_the_e_mail_address(client, language, label):
    html = _in(client, language, "/admin/login/")

    assert f'<label for="id_username" class="required">{label}:</label>' in html
    assert "Username" not in html and "Nazwa użytkownika" not in html


@pytest.mark.parametrize("model", ["accessattempt", "accessfailurelog", "accesslog"])
def test_axes_pages_are_in_polish(root_client, model):
    html = _in(root_client, "pl", reverse(f"admin:axes_{model}_changelist"))

    assert "Access" not in re.sub(r"<[^>]+>", " ", html).replace("Access-", "")


def test_document_lines_show_formatted_dates_in_polish(root_client, make_account):
    account, _admin = make_account("Acme")
    document = issued_document(account, lines=[
        Line("Base — 1 stanowisko / seat", 1, "59.00", date(2026, 11, 16), date(2026, 11, 30))])
    line = document.lines.get()

    listing = _in(root_client, "pl", reverse("admin:invoices_documentline_changelist"))
    detail = _in(root_client, "pl", reverse("admin:invoices_documentline_change",
                                            args=[line.pk]))
    document_page = _in(root_client, "pl", reverse("admin:invoices_document_change",
                                                   args=[document.pk]))

    for html in (listing, detail, document_page):
        assert "2026-11-16" not in html and "2026-11-30" not in html
    assert "16 listopada 2026" in listing and "30 listopada 2026" in listing
    assert "16 listopada 2026" in detail
    assert "Początek okresu" in detail


@pytest.mark.parametrize(("crontab", "english", "polish"), [
    ({"minute": "*", "hour": "*"}, "every minute", "co minutę"),
    ({"minute": "*/5", "hour": "*"}, "every 5 minutes", "co 5 minut"),
    ({"minute": "40", "hour": "*"}, "hourly at minute 40", "co godzinę, w 40. minucie"),
    ({"minute": "5", "hour": "0"}, "daily at 00:05", "codziennie o 00:05"),
    ({"minute": "30", "hour": "12,15"}, "daily at 12:30, 15:30", "codziennie o 12:30, 15:30"),
    ({"minute": "30", "hour": "6", "day_of_month": "1"}, "monthly on day 1 at 06:30",
     "co miesiąc, 1. dnia o 06:30"),
    ({"minute": "1-5", "hour": "*"}, "1-5 * *", "1-5 * *"),
])
def test_job_schedules_are_told_in_words(crontab, english, polish):
    from django.utils import translation

    with translation.override("en"):
        assert describe_crontab(crontab) == english
    with translation.override("pl"):
        assert describe_crontab(crontab) == polish


def test_the_ops_jobs_page_shows_schedules_in_polish(root_client):
    html = _in(root_client, "pl", reverse("admin:dunning_jobs"))

    assert "codziennie o 00:15" in html
    assert "(daily" not in html and "every 5 minutes" not in html
    # every job is described in Polish, none by its English beat schedule name
    assert "(every minute)" not in html and "Heartbeat (every" not in html


def test_every_field_of_our_models_has_a_translatable_name():
    """The admin's labels come from the fields' verbose names: a field without one shows its
    English attribute name ("Number month:", "Account:") on a Polish page (QA, issues 12/13)."""
    from django.apps import apps
    from django.utils.functional import Promise

    ours = ["catalogue", "seats", "plans", "invoices", "payments", "dunning", "support_plans",
            "billing_site"]
    unnamed = [f"{model.__name__}.{field.name}"
               for app in ours for model in apps.get_app_config(app).get_models()
               for field in model._meta.get_fields()
               if getattr(field, "concrete", False) and not field.auto_created
               and not isinstance(field.verbose_name, Promise)]
    assert unnamed == []


def test_the_admin_offers_the_language_switch(admin_client):
    """Ops land in the admin: it must let them switch the language like the site does (QA)."""
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="admin-language"' in page
    response = admin_client.post("/i18n/setlang/", {"language": "pl", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert "Wyloguj" in admin_client.get("/admin/").content.decode()
