"""Forms of "Payments → Invoice data": the buyer and the (optional) ordering party.

They only collect text: every rule (required fields, NIP checksum, EU VAT format, VIES, natural
person only in Poland, e-mail) lives in `invoices.services.profile`, whose `ProfileErrors` the view
puts on the fields they name — so the page and the API show the same messages.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .models import BillingProfile, PartyKind
from .services.profile import ORDERING_PARTY_FIELDS, ProfileErrors

ORDERING_PREFIX = "ordering_party_"


def _country_choices():
    # built per render, so the names follow the request language
    return [("", "—")] + [(code, name) for code, name in countries]


def _text(label, model_field, **kwargs):
    max_length = BillingProfile._meta.get_field(model_field).max_length
    attrs = {"maxlength": max_length, **kwargs.pop("attrs", {})}
    return forms.CharField(label=label, required=False, max_length=None,
                           widget=forms.TextInput(attrs=attrs), **kwargs)


class BuyerForm(forms.Form):
    kind = forms.ChoiceField(label=_("Buyer type"), choices=PartyKind.choices,
                             widget=forms.RadioSelect, initial=PartyKind.COMPANY,
                             help_text=_("A natural person only for buyers in Poland."))
    name = _text(_("Name"), "name", help_text=_("Company name, or first and last name."),
                 attrs={"autocomplete": "organization"})
    street = _text(_("Street and number"), "street", attrs={"autocomplete": "address-line1"})
    postal_code = _text(_("Postal code"), "postal_code", attrs={"autocomplete": "postal-code"})
    city = _text(_("City"), "city", attrs={"autocomplete": "address-level2"})
    country = forms.ChoiceField(label=_("Country"), choices=_country_choices, required=False,
                                help_text=_("Decides the currency of your documents."))
    tax_id = _text(
        _("Tax id"), "tax_id",
        help_text=_("Poland: NIP (required of companies). Other EU countries: VAT id, e.g. "
                    "DE136695976, checked in VIES; reverse charge applies once VIES confirms "
                    "it. Elsewhere: optional."),
    )
    invoice_email = forms.CharField(
        label=_("E-mail for invoices"), required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def service_data(self):
        return dict(self.cleaned_data)


class OrderingPartyForm(forms.Form):
    """The fields of a separate ordering party, named without the `ordering_party_` prefix of the
    service's input; all ignored unless `enabled`."""

    enabled = forms.BooleanField(label=_("A separate ordering party"), required=False)
    name = _text(_("Name"), "ordering_party_name")
    street = _text(_("Street and number"), "ordering_party_street")
    postal_code = _text(_("Postal code"), "ordering_party_postal_code")
    city = _text(_("City"), "ordering_party_city")
    country = forms.ChoiceField(label=_("Country"), choices=_country_choices, required=False)
    tax_id = _text(_("Tax id"), "ordering_party_tax_id", help_text=_("Optional."))

    def service_data(self):
        """The ordering_party_* input of the service: all blank when not enabled."""
        enabled = self.cleaned_data.get("enabled")
        return {field: (self.cleaned_data.get(field.removeprefix(ORDERING_PREFIX), "")
                        if enabled else "")
                for field in ORDERING_PARTY_FIELDS}

    @classmethod
    def initial_from(cls, profile):
        if profile is None or not profile.ordering_party_name:
            return {"enabled": False}
        return {"enabled": True, **{field.removeprefix(ORDERING_PREFIX): getattr(profile, field)
                                    for field in ORDERING_PARTY_FIELDS}}


def attach_profile_errors(error: ProfileErrors, buyer_form, ordering_form) -> list[str]:
    """Put each message on its field; returns the messages that fit no field."""
    leftovers = []
    for field, messages in error.errors.items():
        if field.startswith(ORDERING_PREFIX):
            form, name = ordering_form, field.removeprefix(ORDERING_PREFIX)
        else:
            form, name = buyer_form, field
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
            else:
                leftovers.append(message)
    return leftovers
