"""Names third-party apps show in the admin, marked here so that `makemessages` keeps them in our
catalogue (locale/pl) with their Polish: those apps translate them lazily (`gettext_lazy`) but
ship no Polish for them, and Django looks a message up in every catalogue, ours first. Nothing
imports this module; it only carries the message ids, exactly as the apps spell them.
`billing_site.tests.test_admin_i18n` renders the admin in Polish and fails on any English left."""

from django.utils.translation import gettext_noop

THIRD_PARTY_NAMES = [
    # django-celery-results
    gettext_noop("Celery Results"),
    gettext_noop("task result"), gettext_noop("task results"),
    gettext_noop("group result"), gettext_noop("group results"),
    # django-celery-beat
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic task"), gettext_noop("periodic tasks"),
    gettext_noop("crontab"), gettext_noop("crontabs"),
    gettext_noop("interval"), gettext_noop("intervals"),
    gettext_noop("solar event"), gettext_noop("solar events"),
    gettext_noop("clocked"),
    # django-axes (its Polish lacks these): model, field, filter and column names of its pages
    gettext_noop("access failure"), gettext_noop("access failures"),
    gettext_noop("access attempt expiration"), gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"), gettext_noop("Access lock out"), gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"), gettext_noop("HTTP Accept"),
    gettext_noop("Session key hash (sha256)"), gettext_noop("Locked Out"),
    gettext_noop("Attempt Remaining"), gettext_noop("Not set"),
    gettext_noop("Clean up expired attempts"),
]
