"""Forms of the support-plan pages (issue 14). They check the shape of the input only (a plan
code, a row id, ASCII digits in dates and times); every business rule is in
`support_plans.services`, whose `DomainError`s the views attach to the field they name
(`seats.forms.attach_domain_error`).

Dates and times on the pages are Europe/Warsaw wall-clock times (SPEC §2): a `datetime-local`
input is read in that zone; a time the clock skips when summer time starts does not exist there
and is refused rather than silently moved."""

import re
from datetime import UTC, date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from billing_site.inputs import (
    ASCII_MONTH,
    StrictDateFormField,
    StrictIntegerFormField,
    TextFormField,
    has_bad_characters,
    row_id,
)
from seats.models import Member, MemberState

from . import selectors
from .models import (
    SupportPlan,
    Ticket,
    TicketChannel,
    TicketKind,
    TimeChannel,
)
from .sla import WARSAW

ASCII_LOCAL_DATETIME = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?\Z")
DATETIME_MESSAGE = _("Enter the date and time as YYYY-MM-DD HH:MM (Warsaw time), for example "
                     "2026-11-20 16:30.")
MONTH_MESSAGE = _("Enter the month as YYYY-MM, for example 2026-11.")
MONTH_RANGE = (date(2000, 1, 1), date(2099, 12, 1))  # a month picker's sane range


def _no_bad_text(value) -> bool:
    return isinstance(value, str) and has_bad_characters(value)


class PlanChoiceField(forms.ModelChoiceField):
    """A support plan by its code; the invalid-choice message names no posted value."""

    default_error_messages = {"invalid_choice": _("Choose one of the support plans offered.")}

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="code", **kwargs)

    def label_from_instance(self, obj):
        return str(obj)

    def to_python(self, value):
        if _no_bad_text(value) or (isinstance(value, str) and len(value) > 20):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class RowChoiceField(forms.ModelChoiceField):
    """A row by its id, written in ASCII digits within a bigint ("٣" is not 3)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if row_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(str(row_id(value)))


class MemberChoiceField(RowChoiceField):
    default_error_messages = {
        "invalid_choice": _("Choose an active member of your organisation.")}

    def label_from_instance(self, obj):
        return obj.email


class ContractChoiceField(RowChoiceField):
    default_error_messages = {"invalid_choice": _("Choose a running support contract.")}

    def label_from_instance(self, obj):
        return f"{obj.account.name} – {obj.plan} ({obj.contact.email})"


class LocalDateTimeField(forms.Field):
    """A Europe/Warsaw wall-clock date and time ("2026-11-20T16:30", as a `datetime-local`
    input sends it, or with a space) → an aware datetime."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    default_error_messages = {
        "invalid": DATETIME_MESSAGE,
        "nonexistent": _("This time does not exist in Warsaw: the clocks are moved forward an "
                         "hour then."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        text = str(value).strip().replace(" ", "T", 1)
        if not ASCII_LOCAL_DATETIME.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            naive = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        aware = naive.replace(tzinfo=WARSAW)
        # a skipped wall-clock time (spring forward) does not survive the round trip
        if aware.astimezone(UTC).astimezone(WARSAW).replace(tzinfo=None) != naive:
            raise ValidationError(self.error_messages["nonexistent"], code="nonexistent")
        return aware


class LazyChoiceMessageMixin:
    """Builds the invalid-choice message (listing the choices' labels) when it is shown, in the
    language of the request."""

    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError as exc:
            if exc.code == "invalid_choice":
                labels = ", ".join(str(label) for val, label in self.choices if val != "")
                raise ValidationError(_("Choose one of: %(choices)s.") % {"choices": labels},
                                      code="invalid_choice") from None
            raise


class StrictChoiceField(LazyChoiceMessageMixin, forms.ChoiceField):
    pass


# --- the account admin's Support plan page -----------------------------------------------------


class OrderForm(forms.Form):
    plan = PlanChoiceField(None, label=_("Plan"), widget=forms.RadioSelect, empty_label=None)
    start = StrictDateFormField(label=_("Start date"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    contact = MemberChoiceField(
        None, label=_("Contact person"), empty_label=None,
        help_text=_("The one person who may file tickets (single point of contact)."))

    def __init__(self, *args, account, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["contact"].queryset = (
            Member.objects.filter(account=account, state=MemberState.ACTIVE)
            .select_related("user").order_by("user__email"))


class ContactForm(forms.Form):
    contact = MemberChoiceField(None, label=_("New contact person"), empty_label=None)

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = (
            Member.objects.filter(account=account, state=MemberState.ACTIVE)
            .select_related("user").order_by("user__email"))


class ChangePlanForm(forms.Form):
    plan = PlanChoiceField(None, label=_("New plan"), empty_label=None)

    def __init__(self, *args, plans, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans


class CustomerTicketForm(forms.Form):
    """A ticket filed by the contract's contact person on the Support plan page (channel
    "portal", received now). `critical` only where the plan makes it count (critical issues on
    days off); elsewhere the field is absent and a posted value is ignored."""

    kind = StrictChoiceField(label=_("Kind"), choices=TicketKind.choices)
    subject = TextFormField(label=_("Subject"),
                            max_length=Ticket._meta.get_field("subject").max_length)
    critical = forms.BooleanField(
        label=_("Critical issue"), required=False,
        help_text=_("Your plan covers critical issues on days off too: the reaction time then "
                    "also runs on weekends and public holidays."))

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        if not plan.critical_on_days_off:
            del self.fields["critical"]


class MonthForm(forms.Form):
    """The SLA report's month picker (`?month=YYYY-MM`); empty = the current month."""

    month = forms.CharField(label=_("Month"), required=False, strip=False,
                            widget=forms.TextInput(attrs={"type": "month"}))

    def clean_month(self):
        text = self.cleaned_data["month"]
        if not text:
            return None
        if not ASCII_MONTH.match(text):
            raise ValidationError(MONTH_MESSAGE, code="invalid")
        year, number = int(text[:4]), int(text[5:])
        if not 1 <= number <= 12:
            raise ValidationError(MONTH_MESSAGE, code="invalid")
        first = date(year, number, 1)
        if not MONTH_RANGE[0] <= first <= MONTH_RANGE[1]:
            raise ValidationError(_("Choose a month from 2000 to 2099."), code="out_of_range")
        return first


# --- support staff -----------------------------------------------------------------------------

BREACHED_CHOICES = [("", _("any")), ("yes", _("breached")), ("no", _("not breached"))]


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). Unknown values are refused (a 400 page), never ignored."""

    plan = StrictChoiceField(label=_("Plan"), required=False)
    kind = StrictChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("any"))] + list(TicketKind.choices))
    breached = StrictChoiceField(label=_("Deadline"), required=False, choices=BREACHED_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [("", _("any"))] + [
            (plan.code, str(plan))
            for plan in SupportPlan.objects.order_by("individual", "monthly_fee", "code")]

    def filters(self) -> dict:
        data = self.cleaned_data
        breached = {"yes": True, "no": False}.get(data.get("breached") or "")
        return {"plan": data.get("plan") or None, "kind": data.get("kind") or None,
                "breached": breached}


class TicketForm(forms.Form):
    contract = ContractChoiceField(None, label=_("Contract"))
    reporter = forms.EmailField(
        label=_("Reporter's e-mail"), max_length=254,
        widget=forms.EmailInput(attrs={"list": "contact-emails", "autocomplete": "off"}),
        help_text=_("Only the contract's contact person may file tickets."))
    channel = StrictChoiceField(label=_("Channel"), choices=TicketChannel.choices)
    kind = StrictChoiceField(label=_("Kind"), choices=TicketKind.choices)
    critical = forms.BooleanField(
        label=_("Critical"), required=False,
        help_text=_("On plans that cover critical issues on days off, the clock runs on those "
                    "days too."))
    subject = TextFormField(label=_("Subject"), required=False,
                            max_length=Ticket._meta.get_field("subject").max_length)
    received_at = LocalDateTimeField(
        label=_("Received at"), required=False,
        help_text=_("Warsaw time; empty = now."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = selectors.running_contracts()

    def clean_reporter(self):
        return self.cleaned_data["reporter"].strip().lower()

    def clean(self):
        data = super().clean()
        contract, email = data.get("contract"), data.get("reporter")
        if contract is not None and email:
            reporter = (Member.objects.filter(account=contract.account, user__email__iexact=email)
                        .select_related("user").first())
            if reporter is None:
                self.add_error("reporter", _("%(email)s is not a member of %(account)s.")
                               % {"email": email, "account": contract.account.name})
            data["reporter_member"] = reporter
        return data


class RespondForm(forms.Form):
    responded_at = LocalDateTimeField(label=_("First response at"), required=False,
                                      help_text=_("Warsaw time; empty = now."))


class TimeEntryForm(forms.Form):
    """Time spent on a ticket. The page offers only the channels the plan covers (`offer_only`:
    phone only with phone support, development work only with development; issue 14)."""

    channel = StrictChoiceField(label=_("Channel"), choices=TimeChannel.choices)
    minutes = StrictIntegerFormField(label=_("Minutes"), min_value=1, max_value=1440)
    date = StrictDateFormField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))

    def offer_only(self, plan) -> "TimeEntryForm":
        """Offer only the channels `plan` covers (the form as it is drawn; a posted form is
        validated against every channel and the service refuses one the plan of the entry's
        date does not cover, with a message naming the plan)."""
        excluded = ({TimeChannel.PHONE} if not plan.phone else set()) | (
            {TimeChannel.DEVELOPMENT} if not plan.development else set())
        self.fields["channel"].choices = [(value, label) for value, label
                                          in TimeChannel.choices if value not in excluded]
        return self
