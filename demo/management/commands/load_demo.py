"""Demo data: accounts in every dunning phase (active, expiring, grace, blocked, suspended, on a
trial that is ending, after a trial that ended unpaid, a contract account with an overdue
invoice), members of every role, free and occupied seats, and vendor staff in the finance / ops /
support groups. Idempotent: existing demo rows are kept."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from billing_site.dates import end_of_month, today
from dunning.services.contract_invoicing import contract_invoicing_run
from invoices.models import BillingProfile, TaxIdStatus
from invoices.services.documents import LineInput, document_issue, proforma_issue_for_order
from plans.services import renewal_order_create
from seats import services
from seats.models import Account, MemberRole, MemberState, SeatPeriodCause
from seats.services import seat_periods_append
from seats.services.contracts import contract_set
from support_plans import services as support_services
from support_plans.defaults import seed_support_plans
from support_plans.models import SupportContract, SupportPlan

DEMO_PASSWORD = "demo-pass-2026"

# Invoice data of the demo buyers (VIES is not asked: the demo may run offline)
PROFILES = {
    "Acme Sp. z o.o.": dict(kind="company", name="Acme Sp. z o.o.", street="ul. Prosta 20",
                            postal_code="00-850", city="Warszawa", country="PL",
                            tax_id="5252248481", invoice_email="faktury@acme.example"),
    "Expiring GmbH": dict(kind="company", name="Expiring GmbH", street="Friedrichstraße 68",
                          postal_code="10117", city="Berlin", country="DE",
                          tax_id="DE129273398", tax_id_status=TaxIdStatus.VALID,
                          invoice_email="rechnungen@expiring.example"),
    "Lapsed Inc.": dict(kind="company", name="Lapsed Inc.", street="100 Main Street",
                        postal_code="94105", city="San Francisco", country="US",
                        invoice_email="ap@lapsed.example"),
    "Grace Studio s.r.o.": dict(kind="company", name="Grace Studio s.r.o.",
                                street="Vodičkova 30", postal_code="110 00", city="Praha",
                                country="CZ", tax_id="CZ25596641",
                                tax_id_status=TaxIdStatus.VALID,
                                invoice_email="faktury@grace.example"),
    "Kontrakt S.A.": dict(kind="company", name="Kontrakt S.A.", street="ul. Prosta 20",
                          postal_code="00-850", city="Warszawa", country="PL",
                          tax_id="7010002139", invoice_email="faktury@kontrakt.example"),
    "Dormant Sp. z o.o.": dict(kind="company", name="Dormant Sp. z o.o.",
                               street="ul. Długa 5", postal_code="80-827", city="Gdańsk",
                               country="PL", tax_id="5213003700",
                               invoice_email="faktury@dormant.example"),
}

# (account name, country, package, validity offset description, members, extra free seats)
ACCOUNTS = [
    ("Acme Sp. z o.o.", "PL", "base", "active", [
        ("admin@acme.example", MemberRole.ADMIN),
        ("manager@acme.example", MemberRole.MANAGER),
        ("user@acme.example", MemberRole.USER),
        ("suspended@acme.example", MemberRole.USER),
    ], 2),
    ("Expiring GmbH", "DE", "automation", "expiring", [
        ("admin@expiring.example", MemberRole.ADMIN),
        ("user@expiring.example", MemberRole.USER),
    ], 1),
    ("Lapsed Inc.", "US", "professional", "lapsed", [
        ("admin@lapsed.example", MemberRole.ADMIN),
        ("manager@lapsed.example", MemberRole.MANAGER),
    ], 0),
    ("Grace Studio s.r.o.", "CZ", "base", "grace", [
        ("admin@grace.example", MemberRole.ADMIN),
        ("user@grace.example", MemberRole.USER),
    ], 0),
    ("Dormant Sp. z o.o.", "PL", "base", "suspended", [
        ("admin@dormant.example", MemberRole.ADMIN),
        ("user@dormant.example", MemberRole.USER),
    ], 0),
    ("Kontrakt S.A.", "PL", "professional", "contract", [
        ("admin@kontrakt.example", MemberRole.ADMIN),
        ("user@kontrakt.example", MemberRole.USER),
    ], 10),
    ("Trial Start Sp. z o.o.", "PL", "automation", "trial", [
        ("admin@trialstart.example", MemberRole.ADMIN),
        ("user@trialstart.example", MemberRole.USER),
    ], 0),
    ("Trial Over Sp. z o.o.", "PL", "base", "trial_ended", [
        ("admin@trialover.example", MemberRole.ADMIN),
        ("user@trialover.example", MemberRole.USER),
    ], 0),
]

# What each demo state means on the day the demo is loaded (printed with the logins).
STATE_NOTES = {
    "active": "paid until the end of next month",
    "expiring": "expires in 3 days: admins see the renewal banner",
    "lapsed": "expired 10 days ago: blocked, only the admin logs in, to the billing pages",
    "grace": "expired 3 days ago: grace period, everyone sees 'payment required'",
    "suspended": "expired 20 days ago: suspended, automations paused, admin reaches billing only",
    "contract": "contract account, 12 seats: never blocked by expiry; last month's invoice is "
                "overdue (finance can block it at /finance/contracts/)",
    "trial": "free trial ending tomorrow",
    "trial_ended": "free trial ended a week ago: blocked until paid, deleted in 23 days",
}
# Free trials: the day the account signed up, counted back from the demo's day.
TRIAL_STARTED_DAYS_AGO = {"trial": 12, "trial_ended": 20}

STAFF = [
    ("finance@vendor.example", "finance"),
    ("ops@vendor.example", "ops"),
    ("support@vendor.example", "support"),
]

# What each vendor group may do in the Django admin (app_label → actions).
GROUP_PERMISSIONS = {
    "finance": {"seats": ["view"], "plans": ["view"], "catalogue": ["view"],
                "invoices": ["view"], "payments": ["view", "add"], "dunning": ["view"]},
    "ops": {
        "seats": ["view", "change"], "plans": ["view", "add", "change"],
        "catalogue": ["view", "add", "change"], "invoices": ["view"], "payments": ["view"],
        "django_celery_beat": ["view", "add", "change", "delete"],
        "django_celery_results": ["view"], "dunning": ["view"],
        "authtoken": ["view", "delete"],  # lists and revokes API tokens
        # login lockouts (django-axes): deleting an access attempt lifts it (issue 13)
        "axes": ["view", "delete"],
    },
    # support staff work the ticket queue, record time, order contracts (issue 14)
    "support": {"seats": ["view"], "support_plans": ["view", "add", "change"]},
}

# Support contracts of the demo (issue 14): (account, plan code, contact, months ago it started)
SUPPORT_CONTRACTS = [
    ("Acme Sp. z o.o.", "START", "admin@acme.example", 2),
    ("Kontrakt S.A.", "EMAIL", "admin@kontrakt.example", 1),
]


def validity_for(state, as_of):
    """(valid_until, paid_through) for the demo state of an account."""
    if state in ("active", "contract"):
        until = end_of_month(end_of_month(as_of) + timedelta(days=1))  # end of next month
        return until, until
    if state == "expiring":
        return as_of + timedelta(days=3), as_of + timedelta(days=3)
    days_ago = {"grace": 3, "suspended": 20}.get(state, 10)
    return as_of - timedelta(days=days_ago), as_of - timedelta(days=days_ago)


class Command(BaseCommand):
    help = "Load demo accounts, members, seats and staff users (idempotent); prints the logins."

    def handle(self, *args, **options):
        as_of = today()
        with transaction.atomic():
            # finance blocks and unblocks contract accounts by hand and books transfers against
            # their invoices (/finance/contracts/), makes accounts contract accounts in the
            # admin, and enters a missing NBP rate there (view: with "invoices" below)
            Group.objects.get_or_create(name="finance")[0].permissions.add(
                *Permission.objects.filter(content_type__app_label="seats",
                                           codename__in=["add_accesshold", "add_contract",
                                                         "change_contract", "view_contract"]),
                *Permission.objects.filter(content_type__app_label="invoices",
                                           codename__in=["add_exchangerate",
                                                         "add_invoicetransfer"]))
            for group_name, perms in GROUP_PERMISSIONS.items():
                group, _ = Group.objects.get_or_create(name=group_name)
                for app_label, actions in perms.items():
                    group.permissions.add(*Permission.objects.filter(
                        content_type__app_label=app_label,
                        codename__regex=r"^({})_".format("|".join(actions)),
                    ))
            User = get_user_model()
            for email, group_name in STAFF:
                user, created = User.objects.get_or_create(
                    username=email, defaults={"email": email, "is_staff": True}
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                user.groups.add(Group.objects.get(name=group_name))
            if not User.objects.filter(username="root@vendor.example").exists():
                User.objects.create_superuser("root@vendor.example", "root@vendor.example",
                                              DEMO_PASSWORD)
            for name, country, package, state, members, free in ACCOUNTS:
                if not Account.objects.filter(name=name).exists():
                    self._create_account(name, country, package, state, members, free, as_of)
            self._create_support(as_of)
        self._print_logins()

    def _create_support(self, as_of):
        """The support contracts of `SUPPORT_CONTRACTS` (each once), and for the START contract
        a few tickets (one answered, one open, one that missed its deadline) and time entries
        this month: remote help, a phone call, e-mail time."""
        seed_support_plans(SupportPlan, Group)
        now = timezone.now()
        for name, code, contact_email, months_ago in SUPPORT_CONTRACTS:
            account = Account.objects.get(name=name)
            if SupportContract.objects.filter(account=account).exists():
                continue
            start = as_of.replace(day=1)
            for _month in range(months_ago):
                start = (start - timedelta(days=1)).replace(day=1)
            contact = account.members.get(user__username=contact_email)
            contract = support_services.contract_order(
                account=account, plan=SupportPlan.objects.get(code=code), start=start,
                contact=contact, actor=None, as_of=start)
            if code != "START":
                continue
            answered = support_services.ticket_open(
                contract=contract, received_at=now - timedelta(days=3), channel="email",
                kind="configuration", reporter=contact, subject="Printer labels cut off",
                actor=None, now=now)
            support_services.ticket_respond(ticket=answered,
                                            responded_at=now - timedelta(days=3, hours=-1),
                                            actor=None, now=now)
            support_services.ticket_open(
                contract=contract, received_at=now - timedelta(days=20), channel="portal",
                kind="bug", reporter=contact, subject="Export fails on large orders",
                actor=None, now=now)
            support_services.ticket_open(
                contract=contract, received_at=now - timedelta(hours=1), channel="phone",
                kind="other", reporter=contact, subject="Question about the invoice layout",
                actor=None, now=now)
            for channel, minutes in (("remote", 50), ("phone", 10), ("email", 20)):
                support_services.time_entry_add(
                    contract=contract, ticket=answered, channel=channel, minutes=minutes,
                    date=as_of, actor=None)

    def _create_account(self, name, country, package, state, members, free, as_of):
        trial = state in TRIAL_STARTED_DAYS_AGO
        if trial:  # signed up some days ago; its seats run with the trial
            as_of = as_of - timedelta(days=TRIAL_STARTED_DAYS_AGO[state])
        account = services.account_create(
            name=name, package_code=package, country=country, trial=trial, actor=None,
            as_of=as_of,
        )
        for email, role in members:
            member = services.member_invite(
                account=account, email=email, role=role, actor=None, as_of=as_of,
                notify=False,
            )
            member.user.set_password(DEMO_PASSWORD)
            member.user.save(update_fields=["password"])
        if free:
            services.seats_add(account=account, count=free, actor=None, as_of=as_of)
        if trial:
            return
        # Demo only: there is no payment to book yet, so the paid validity goes into the seats'
        # ledger as a staff correction (there is no order to point at).
        valid_until, paid_through = validity_for(state, as_of)
        seat_periods_append(
            account=account, cause=SeatPeriodCause.STAFF_CORRECTION, actor=None, as_of=as_of,
            changes=[(seat, valid_until, paid_through) for seat in account.seats.all()],
        )
        BillingProfile.objects.create(account=account, **PROFILES[name])
        suspended = account.members.filter(user__username__startswith="suspended@").first()
        if suspended is not None:
            services.member_release(
                account=account, member=suspended, state=MemberState.SUSPENDED,
                effective=as_of, remove_seat=True, actor=None, as_of=as_of,
            )
        if state == "contract":
            self._create_contract(account, as_of)
        else:
            self._create_documents(account, state, valid_until, as_of)

    def _create_contract(self, account, as_of):
        """An open-ended contract that began three months ago, and last month's contract
        invoice, issued on that month's 1st and unpaid: overdue by now (reminders, finance's
        block). PDFs are left to the periodic rendering job."""
        started = (as_of.replace(day=1) - timedelta(days=80)).replace(day=1)
        contract_set(account=account, starts_on=started, ends_on=None, actor=None,
                     as_of=started)
        last_month = (as_of.replace(day=1) - timedelta(days=1)).replace(day=1)
        contract_invoicing_run(month=last_month, as_of=last_month, render=False)

    def _create_documents(self, account, state, valid_until, as_of):
        """An invoice for the renewal that made the seats valid, and for the active account a
        pending renewal order with its pro-forma (the transfer not booked yet)."""
        seats = account.seats.filter(removed_on__isnull=True).count()
        if state in ("active", "expiring"):
            start = valid_until.replace(day=1)
            price = account.package.prices.get(currency=account.currency).monthly_price
            document_issue(
                account=account, kind="invoice", sale_date=start, as_of=as_of,
                lines=[LineInput(
                    f"Licencja stanowiska — pakiet {account.package.name}, {start} – "
                    f"{valid_until}", seats, price, period_start=start, period_end=valid_until,
                )],
            )
        if state == "active":
            target = end_of_month(end_of_month(valid_until) + timedelta(days=62))
            order = renewal_order_create(account=account, until=(target.year, target.month),
                                         actor=None, as_of=as_of)
            proforma_issue_for_order(order=order, actor=None, as_of=as_of)

    def _print_logins(self):
        out = self.stdout.write
        out("")
        out(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for name, _c, _p, state, members, _f in ACCOUNTS:
            out(f"  {name} [{state}: {STATE_NOTES[state]}]")
            for email, role in members:
                suspended = email.startswith("suspended")
                note = " (suspended, no seat: cannot log in)" if suspended else ""
                out(f"    {role:<8} {email}{note}")
        out("  Support contracts (support staff: the queue and time entries)")
        for name, code, contact_email, _months in SUPPORT_CONTRACTS:
            out(f"    {code:<8} {name}, contact person {contact_email}")
        out("  Vendor staff (Django admin at /admin/)")
        for email, group in STAFF:
            out(f"    {group:<8} {email}")
        out(f"    {'superuser':<8} root@vendor.example")
