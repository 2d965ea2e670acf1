"""Polish and English UI through Django i18n."""

import re
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[2] / "locale" / "pl" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_login_page_speaks_polish_to_a_polish_browser(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 200
    assert "Zaloguj się" in response.content.decode()


@pytest.mark.django_db
def test_login_page_speaks_english_to_an_english_browser(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in response.content.decode()


def po_entries(text):
    """(msgid, msgstr texts) of a .po file, header excluded; plural forms joined."""
    entries, current, key = [], None, None
    for line in text.splitlines() + [""]:
        if not line.strip():
            if current and current["msgid"]:
                entries.append((current["msgid"], current["msgstr"]))
            current, key = None, None
            continue
        if line.startswith("#"):
            continue
        current = current or {"msgid": "", "msgstr": ""}
        match = re.match(r'(msgid|msgid_plural|msgstr(?:\[\d\])?|msgctxt) "(.*)"$', line)
        if match:
            key = "msgstr" if match[1].startswith("msgstr") else match[1]
            value = match[2]
        else:
            value = re.match(r'"(.*)"$', line)[1]
        if key in ("msgid", "msgstr"):
            current[key] += value
    return entries


def test_polish_catalogue_has_no_untranslated_or_fuzzy_entries():
    text = PO.read_text()
    assert "#, fuzzy" not in text
    entries = po_entries(text)
    assert len(entries) > 200
    assert [msgid for msgid, msgstr in entries if not msgstr] == []
