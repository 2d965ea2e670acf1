"""POST-only page addresses (issue 13, item 7): a GET of any of them leads to the page its form is
on instead of a blank 405; no page address of the site answers a browser's GET with a 405."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# not pages: machine endpoints with their own answers
NOT_PAGES = ("api/", "admin/", "webhooks/", "i18n/")


def page_patterns(patterns=None, prefix=""):
    """(route, pattern) of every page address of the site, API, admin and webhooks left out."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(NOT_PAGES):
            continue
        if isinstance(entry, URLResolver):
            yield from page_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def address(route):
    """`route` with every converter filled with 1 (int) or "x" (str)."""
    import re

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m[1] == "int" else "x", route)


@pytest.fixture
def admin_browser(make_account):
    _account, admin = make_account("Acme")
    browser = Client()
    browser.force_login(admin.user)
    return browser


@pytest.fixture
def support_browser(django_user_model):
    """A login of the vendor's group "support" (support plans' pages, issue 14)."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("help@vendor.example", "help@vendor.example",
                                                 "pw", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="support")[0])
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def finance_browser(django_user_model):
    """A login of the vendor's group "finance" (the finance documents page, issue 15)."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("money@vendor.example", "money@vendor.example",
                                                 "pw", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name="finance")[0])
    browser = Client()
    browser.force_login(user)
    return browser


# the keyword arguments of a target page's address (its id filled with 1, as `address` does)
TARGET_KWARGS = {"payments_pay": {"order_id": 1}, "support_ticket": {"ticket_id": 1}}


def post_only_pages():
    return {entry.name: (route, entry.callback)
            for route, entry in page_patterns()
            if hasattr(entry.callback, "post_only_target")}


def test_every_post_only_page_sends_a_get_to_the_page_its_form_is_on(admin_browser,
                                                                     support_browser,
                                                                     finance_browser):
    post_only = post_only_pages()
    # the actions of the Users, Renew, payment, history and payments pages, and logout
    assert {"account_seats_add", "account_seats_remove", "account_member_role",
            "account_contract_confirm_seats", "payments_renew_quote", "payments_renew_order",
            "payments_addon_order", "payments_billing_period", "payments_pay_start",
            "payments_pay_transfer", "payments_document_note", "account_payment_refund",
            "payments_recurring", "logout", "account_support_order", "account_support_change",
            "account_support_cancel", "account_support_contact", "support_ticket_open",
            "support_ticket_respond", "support_time_entry_add",
            "finance_document_ksef_resend"} <= set(post_only), sorted(
        post_only)
    for name, (route, view) in post_only.items():
        # support's and finance's staff pages refuse an account admin (403): their own login
        # reaches them
        browser = (support_browser if name.startswith("support_")
                   else finance_browser if name.startswith("finance_") else admin_browser)
        if "<" in route:  # names a row: checked (issues 12/13); no row has the id 10**9
            assert view.post_only_checks_ids, f"{name}: post_only without `exists`"
            response = browser.get(address(route).replace("/1/", f"/{10**9}/"))
            assert response.status_code == 404, name
            continue
        response = browser.get(address(route))
        assert response.status_code == 302, name
        target = view.post_only_target
        assert response["Location"].split("#")[0] == reverse(
            target, kwargs=TARGET_KWARGS.get(target)), name


def test_no_page_address_answers_a_get_with_a_405(admin_browser):
    answers = {route: admin_browser.get(address(route)).status_code
               for route, _entry in page_patterns()}
    assert len(answers) > 30
    assert [route for route, status in answers.items() if status == 405] == []


def test_a_get_of_an_action_does_nothing_and_says_so(admin_browser):
    response = admin_browser.get(reverse("account_seats_add"), follow=True)
    assert response.redirect_chain == [(reverse("account_users") + "#seats", 302)]
    assert ("Nothing was done: that address only takes a form sent from this page."
            in response.content.decode())


NOTHING_DONE = "Nothing was done: that address only takes a form sent from this page."


def test_a_missing_or_foreign_id_is_a_plain_404_without_a_note(make_account, admin_browser):
    """Issues 12/13 item 4: the 404 page alone; the note neither shows nor waits for the next
    page."""
    _other, stranger = make_account("Globex", admin_email="admin@globex.example")
    for url in (reverse("account_member_role", args=[stranger.pk]),
                reverse("account_member_role", args=[10**9])):
        for _ in range(2):
            response = admin_browser.get(url)
            assert response.status_code == 404
            assert NOTHING_DONE not in response.content.decode()
    page = admin_browser.get(reverse("account_users")).content.decode()
    assert NOTHING_DONE not in page


def test_a_repeated_get_of_a_valid_action_leaves_one_note(make_account):
    account, admin = make_account("Acme")
    browser = Client()
    browser.force_login(admin.user)
    url = reverse("account_member_role", args=[admin.pk])
    for _ in range(3):  # e.g. the address opened in three tabs before any page was seen
        response = browser.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("account_users") + f"#member-{admin.pk}"
    page = browser.get(reverse("account_users")).content.decode()
    assert page.count(NOTHING_DONE) == 1
    assert NOTHING_DONE not in browser.get(reverse("account_users")).content.decode()
