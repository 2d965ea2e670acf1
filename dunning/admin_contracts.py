"""Contract accounts in the Django admin (SPEC §3; issue 10): staff make an account a contract
account and change its term here.

Registered from `DunningConfig.ready()` rather than from `seats/admin.py`: the model is seats'
(the access decision reads it) but its admin belongs with the rest of the contract handling.

The form never writes the row itself: every save goes through `seats.services.contracts.
contract_set`, which locks the account, refuses what SPEC §3 forbids (fewer than 10 seats, a
fixed term under 6 months, an end in the past) and writes the audit row. So that a refusal is a
form error and not a 500, the form's `clean()` tries the same call inside a savepoint that is
always rolled back (with the account row locked first, outside the savepoint, so nothing can
change between that try and the real call in `save_model`: the admin's whole change view is one
transaction). A contract is never deleted here: a contract that ends gets an end date.

The account's holds (finance's blocks, `seats.AccessHold`) are listed read-only on the contract
page; finance blocks and unblocks on `/finance/contracts/`.
"""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_site.dates import today
from billing_site.errors import DomainError
from seats.models import AccessHold, Contract
from seats.services.contracts import account_locked, contract_set


class _TryOnly(Exception):
    """Rolls back the savepoint of the form's trial call."""


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["account", "starts_on", "ends_on"]
        help_texts = {
            "ends_on": gettext_lazy("Empty for an open-ended contract; a fixed term lasts at "
                                    "least 6 months."),
        }

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean(self):
        cleaned = super().clean()
        account = cleaned.get("account") or (self.instance.account
                                             if self.instance.pk else None)
        starts_on = cleaned.get("starts_on")
        if self.errors or account is None or starts_on is None:
            return cleaned
        account_locked(account)  # held until the admin's transaction ends
        try:
            with transaction.atomic():
                contract_set(account=account, starts_on=starts_on,
                             ends_on=cleaned.get("ends_on"), actor=self.actor, as_of=today())
                raise _TryOnly
        except _TryOnly:
            pass
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, str(exc.message))
        return cleaned


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    form = ContractForm
    list_display = ["account", "starts_on", "ends_on", "runs_today", "blocked", "created_at"]
    list_select_related = ["account"]
    search_fields = ["account__name"]
    date_hierarchy = "starts_on"
    ordering = ["account__name"]
    autocomplete_fields = ["account"]
    readonly_fields = ["holds", "created_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class RequestContractForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, actor=request.user, **inner)

        return RequestContractForm

    def get_readonly_fields(self, request, obj=None):
        # the account of an existing contract stays (one contract per account)
        return [*self.readonly_fields, "account"] if obj is not None else self.readonly_fields

    def get_queryset(self, request):
        open_hold = AccessHold.objects.open().filter(account_id=OuterRef("account_id"))
        return super().get_queryset(request).annotate(_held=Exists(open_hold))

    @admin.display(boolean=True, description=gettext_lazy("runs today"))
    def runs_today(self, obj):
        return obj.runs_on(today())

    @admin.display(boolean=True, description=gettext_lazy("blocked by finance"),
                   ordering="_held")
    def blocked(self, obj):
        return bool(getattr(obj, "_held", False))

    @admin.display(description=gettext_lazy("blocks by finance"))
    def holds(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        rows = list(AccessHold.objects.filter(account_id=obj.account_id)
                    .select_related("placed_by", "lifted_by").order_by("-placed_at", "-id"))
        if not rows:
            return _("never blocked")

        def when(moment):
            return date_format(moment, "Y-m-d H:i") if moment else _("open")

        items = format_html_join(
            "", "<li>{} – {}: {} ({})</li>",
            ((when(h.placed_at), when(h.lifted_at), h.reason,
              getattr(h.placed_by, "email", "") or _("staff")) for h in rows))
        return format_html('<ul style="margin:0;padding-left:1.1rem">{}</ul>'
                           '<p><a href="{}">{}</a></p>', items,
                           reverse("dunning_finance_contracts"),
                           _("Block or unblock on the finance contracts page"))

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Through the service, never `obj.save()`: the form's trial call already showed any
        refusal, and the account is still locked since then."""
        account = obj.account if change else form.cleaned_data["account"]
        contract = contract_set(account=account, starts_on=form.cleaned_data["starts_on"],
                                ends_on=form.cleaned_data.get("ends_on"), actor=request.user,
                                as_of=today())
        obj.pk = contract.pk
        obj.created_at = contract.created_at
        obj._state.adding = False

