"""The five support tiers of SPEC §8 and the vendor group "support".

PREMIUM is `individual`: its row holds placeholder terms (24/7, STANDARD's hourly rate, a 0 fee)
that staff set per customer in the admin; customers cannot order it (`orderable=False`).
"""

from datetime import time
from decimal import Decimal

from django.db import migrations

H = 60  # minutes in an hour

TIERS = [
    # code, name, fee, min term, included, start, end, 24/7, weekends, holidays, critical days off,
    # reaction, limit, e-mail scope, phone, development, hourly rate, individual, orderable
    ("COMMUNITY", "Community", "0.00", None, 0, time(10), time(13), False, False, False, False,
     None, None, "bugs", False, False, "200.00", False, True),
    ("EMAIL", "Email", "129.00", 3, 0, time(9), time(15), False, False, False, False,
     12 * H, 3 * H, "all", False, False, "180.00", False, True),
    ("START", "Start", "399.00", 3, 3 * H, time(8), time(16), False, False, False, False,
     8 * H, 8 * H, "all", True, False, "165.00", False, True),
    ("STANDARD", "Standard", "799.00", 6, 7 * H, time(7), time(17), False, False, False, True,
     4 * H, 15 * H, "all", True, True, "140.00", False, True),
    ("PREMIUM", "Premium", "0.00", None, 0, time(0), time(23, 59), True, True, True, True,
     4 * H, None, "all", True, True, "140.00", True, False),
]


def seed(apps, schema_editor):
    SupportPlan = apps.get_model("support_plans", "SupportPlan")
    Group = apps.get_model("auth", "Group")
    for (code, name, fee, term, included, start, end, rtc, weekends, holidays, critical,
         reaction, limit, scope, phone, development, rate, individual, orderable) in TIERS:
        SupportPlan.objects.update_or_create(code=code, defaults=dict(
            name=name, monthly_fee=Decimal(fee), minimum_term_months=term,
            hours_included=included, workday_start=start, workday_end=end,
            round_the_clock=rtc, weekends=weekends, public_holidays=holidays,
            critical_on_days_off=critical, reaction_minutes=reaction,
            monthly_limit_minutes=limit, email_scope=scope, phone=phone,
            development=development, hourly_rate=Decimal(rate), individual=individual,
            orderable=orderable))
    Group.objects.get_or_create(name="support")


class Migration(migrations.Migration):

    dependencies = [
        ("support_plans", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
