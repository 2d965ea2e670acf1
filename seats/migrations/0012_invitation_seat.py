"""Issue 13, item 3: every pending invitation holds one seat (`Invitation.seat`), whoever owns
the address. Existing pending invitations get theirs before the constraints are added: the seat
their member occupies, else a free seat not held yet (the one valid longest, as `member_invite`
picks). A pending invitation left without one (an address with a login elsewhere in an account
with no free seat: seats are not added by a migration, they are billed) is cancelled, with an
audit row saying why; the admin can invite the address again.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def hold_seats(apps, schema_editor):
    Invitation = apps.get_model("seats", "Invitation")
    Seat = apps.get_model("seats", "Seat")
    AuditEntry = apps.get_model("seats", "AuditEntry")
    held = set()
    for invitation in Invitation.objects.filter(status="pending").order_by("id"):
        seat = None
        if invitation.member_id is not None:
            seat = Seat.objects.filter(member_id=invitation.member_id,
                                       removed_on__isnull=True).first()
        if seat is None:
            seat = (Seat.objects.filter(account_id=invitation.account_id,
                                        removed_on__isnull=True, member__isnull=True)
                    .exclude(pk__in=held).order_by("-valid_until", "id").first())
        if seat is not None:
            held.add(seat.pk)
            Invitation.objects.filter(pk=invitation.pk).update(seat=seat)
            continue
        Invitation.objects.filter(pk=invitation.pk).update(status="cancelled")
        AuditEntry.objects.create(
            account_id=invitation.account_id, actor_label="system",
            action="invitation.cancelled", target_type="seats.invitation", target_id=invitation.pk,
            before={"status": "pending"},
            after={"status": "cancelled", "reason": "no free seat to hold (migration 0012)"},
            at=django.utils.timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ('seats', '0011_invitation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='invitation',
            name='seat',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='invitations', to='seats.seat', verbose_name='seat'),
        ),
        migrations.RunPython(hold_seats, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='invitation',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'pending'), _negated=True), ('seat__isnull', False), _connector='OR'), name='invitation_pending_holds_a_seat'),
        ),
        migrations.AddConstraint(
            model_name='invitation',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('seat',), name='invitation_one_pending_per_seat'),
        ),
    ]
