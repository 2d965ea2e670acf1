"""Writing audit rows. Called by every service inside its transaction."""

from django.forms.models import model_to_dict
from django.utils import timezone

from .models import AuditEntry


def snapshot(instance, fields):
    """A JSON-safe picture of `fields` of a model instance (dates as ISO strings)."""
    data = model_to_dict(instance, fields=fields)
    return {k: _json_safe(v) for k, v in data.items()}


def _json_safe(value):
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    if hasattr(value, "isoformat"):  # dates and datetimes
        return value.isoformat()
    return str(value)  # Decimal, Country, …


def audit_record(*, account, actor, action, target, before=None, after=None):
    entry = audit_entry(account=account, actor=actor, action=action, target=target,
                        before=before, after=after)
    entry.save(force_insert=True)
    return entry


def audit_entry(*, account, actor, action, target, before=None, after=None) -> AuditEntry:
    """The unsaved row `audit_record` would write, for batch writers that insert many at once
    with `AuditEntry.objects.bulk_create` (month-end invoicing)."""
    return AuditEntry(
        account=account,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor.get_username() if actor is not None and actor.pk else "system"),
        action=action,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        before=before,
        after=after,
        at=timezone.now(),
    )
