"""Forms of the payment pages. Like `seats.forms`, they check the *shape* of the input only (a
month, a whole number, a ticked box); every business rule (months in the past, caps, how often the
package may change) is in `plans.services`, whose `DomainError`s land on the field they name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from billing_site.errors import DomainError
from billing_site.inputs import StrictIntegerFormField
from catalogue.models import catalogue_name
from seats.models import BillingPeriod

from . import services

OTHER_MONTH = "other"  # value of the "another month" choice of the target month
ADDON_PREFIX = "addon_"


def addon_field_name(code):
    return f"{ADDON_PREFIX}{code}"


def _packs_field(state):
    name = catalogue_name(state.name)
    return StrictIntegerFormField(
        label=name, required=False, initial=0, min_value=0,
        # named by the add-on's display name, never its code (issue 12)
        error_messages={
            "min_value": _("The number of packs of %(name)s must be a whole number, 0 or more.")
            % {"name": name},
            "invalid": _("The number of packs of %(name)s must be a whole number, 0 or more.")
            % {"name": name},
        },
        widget=forms.NumberInput(attrs={"min": 0, "max": state.max_more_packs,
                                        "inputmode": "numeric", "class": "packs-input"}),
    )


class AddOnPacksMixin:
    """One "packs" number field per add-on the package allows (`addon_<code>`)."""

    def add_addon_fields(self, states):
        self.addon_states = states
        for code, state in states.items():
            self.fields[addon_field_name(code)] = _packs_field(state)

    def addon_fields(self):
        """(bound field, add-on state) pairs, in catalogue order, for the templates."""
        return [(self[addon_field_name(code)], state) for code, state in self.addon_states.items()]

    def clean_add_ons(self, cleaned):
        return {code: cleaned.get(addon_field_name(code)) or 0 for code in self.addon_states
                if cleaned.get(addon_field_name(code))}

    def attach_domain_error(self, error: DomainError) -> bool:
        """Put a service refusal on the field it names; False when it belongs to no field.

        An add-on refusal (`field="add_ons"`) names the add-on in its text; it goes under that
        add-on's field when only one add-on was asked for, otherwise above the form."""
        field = error.field
        if field == "add_ons":
            asked = [name for name in (addon_field_name(c) for c in self.addon_states)
                     if self.cleaned_data.get(name)]
            field = asked[0] if len(asked) == 1 else None
            if field is None:
                self.add_error(None, str(error.message))
                return True
        if field == "until" and self.data.get(self.add_prefix("until")) == OTHER_MONTH:
            field = "other_month"
        if field and field in self.fields:
            self.add_error(field, str(error.message))
            return True
        return False

    def first_error(self):
        """(field name as posted, message) of the first error, for the JSON endpoint."""
        for name, errors in self.errors.items():
            if errors:
                return (None if name == "__all__" else self.add_prefix(name)), errors[0]
        return None, ""


class RenewForm(AddOnPacksMixin, forms.Form):
    """The renewal: a target month (a shortcut or any month), new seats and extra add-on packs.

    `until` holds a month "YYYY-MM" (the shortcuts are months too) or "other", in which case
    `other_month` is used. The pending-order form posts the resolved month in `until`."""

    until = forms.CharField(label=_("Extend every seat until the end of"))
    other_month = forms.CharField(
        label=_("Another month"), required=False,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": _("YYYY-MM")}),
    )
    add_seats = StrictIntegerFormField(
        label=_("New seats"), required=False, initial=0,
        help_text=_("Added now and paid with this renewal from today (during a free trial, from "
                    "the day after it ends)."),
        widget=forms.NumberInput(attrs={"min": 0, "max": 500, "inputmode": "numeric",
                                        "class": "packs-input"}),
    )

    def __init__(self, *args, addon_states, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_addon_fields(addon_states)

    def clean(self):
        cleaned = super().clean()
        until = cleaned.get("until")
        field = "until"
        if until == OTHER_MONTH:
            field, until = "other_month", cleaned.get("other_month")
            if not until:
                self.add_error("other_month", _("Choose the month."))
                return cleaned
        if until:
            try:
                cleaned["target"] = services.parse_target_month(until)
            except DomainError as exc:
                self.add_error(field, str(exc.message))
        cleaned["add_seats"] = cleaned.get("add_seats") or 0
        cleaned["add_ons"] = self.clean_add_ons(cleaned)
        return cleaned


class AddOnBuyForm(AddOnPacksMixin, forms.Form):
    """Add-on packs bought now, outside a renewal (rendered with prefix "buy")."""

    def __init__(self, *args, addon_states, **kwargs):
        kwargs.setdefault("prefix", "buy")
        super().__init__(*args, **kwargs)
        self.add_addon_fields(addon_states)

    def clean(self):
        cleaned = super().clean()
        cleaned["add_ons"] = self.clean_add_ons(cleaned)
        return cleaned


class BillingPeriodForm(forms.Form):
    """The billing period. Switching to annual billing cannot be undone by the admin (only
    staff switch back), so it needs `confirm` ticked; the form refuses it otherwise."""

    period = forms.ChoiceField(choices=BillingPeriod.choices, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") == BillingPeriod.ANNUAL and not cleaned.get("confirm"):
            self.add_error("confirm", _(
                "Annual billing was not switched on: tick the box to confirm that you know only "
                "support can switch you back to monthly billing."))
        return cleaned


class PackageChoiceForm(forms.Form):
    """The package a page previews (`?package=code`) or applies: a code of at most 40
    characters (the catalogue's limit) without NUL bytes (Django's CharField refuses them), so
    that no raw value reaches the database (issue 13); whether it exists is the service's
    question."""

    package = forms.CharField(max_length=40, required=False)


class PackageApplyForm(forms.Form):
    """Applying a previewed package change. The package is any code: the service explains why
    an unknown, inactive or current package cannot be chosen."""

    package = forms.CharField(widget=forms.HiddenInput, max_length=40)
    accept_terms = forms.BooleanField(
        label=_("I accept the terms of the package change"),
        error_messages={"required": _("Accept the terms of the package change to apply it.")},
    )
