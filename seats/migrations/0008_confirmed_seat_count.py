"""The ledger of confirmed seat counts of contract accounts (SPEC §3; issue 11). Contracts that
exist already get their first confirmed count: their live seat count now, dated from the
contract's start (what `contract_set` records for a new contract)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    Contract = apps.get_model("seats", "Contract")
    Seat = apps.get_model("seats", "Seat")
    ConfirmedSeatCount = apps.get_model("seats", "ConfirmedSeatCount")
    rows = []
    for contract in Contract.objects.all():
        count = Seat.objects.filter(account_id=contract.account_id,
                                    removed_on__isnull=True).count()
        rows.append(ConfirmedSeatCount(account_id=contract.account_id, count=max(count, 1),
                                       confirmed_on=contract.starts_on))
    ConfirmedSeatCount.objects.bulk_create(rows)


class Migration(migrations.Migration):

    dependencies = [
        ('seats', '0007_purge_permit'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ConfirmedSeatCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('count', models.PositiveIntegerField(verbose_name='confirmed seats')),
                ('confirmed_on', models.DateField(verbose_name='confirmed on')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='confirmed_seat_counts', to='seats.account', verbose_name='account')),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='confirmed by')),
            ],
            options={
                'verbose_name': 'confirmed seat count',
                'verbose_name_plural': 'confirmed seat counts',
                'ordering': ['account', '-confirmed_on', '-id'],
                'indexes': [models.Index(fields=['account', 'confirmed_on', 'id'], name='seats_confi_account_82cca7_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('count__gte', 1)), name='confirmed_seat_count_positive')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
