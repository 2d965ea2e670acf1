"""Writing audit rows. Called by every service inside its transaction."""

from django.forms.models import model_to_dict
from django.utils import timezone

from .models import AuditEntry


def snapshot(instance, fields):
    """A JSON-safe picture of `fields` of a model instance (dates as ISO strings)."""
    data = model_to_dict(instance, fields=fields)
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def audit_record(*, account, actor, action, target, before=None, after=None):
    return AuditEntry.objects.create(
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
