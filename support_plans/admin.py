"""Support plans in the Django admin (issue 14).

- Support plans (tiers): every field editable; a customer's individual terms (PREMIUM) are a
  plan row of its own (`individual`, not `orderable`).
- Contracts: added through `services.contract_order` (the add form's errors are the service's);
  otherwise read-only, with actions that go through the services: cancel (effective as
  `contract_cancel_effective` says) and apply the scheduled changes now.
- Plan history of contracts, tickets, time entries: read-only (written by the services,
  through the API and the support pages); an action marks tickets past their deadline as
  breached now.
- Settlements: read-only, with "Settle a month" (`/admin/support_plans/supportsettlement/settle/`)
  that runs `services.support_settle` for any month that is over (staff with the permission to
  add settlements), like `manage.py support_settle --month YYYY-MM`.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from billing_site.admin_mixins import ReadOnlyAdminMixin
from billing_site.dates import today
from billing_site.errors import DomainError
from billing_site.formatting import day

from . import services
from .models import ContractPlan, SupportContract, SupportPlan, SupportSettlement, Ticket, TimeEntry
from .months import month_parse

SETTLE_PERMISSION = "support_plans.add_supportsettlement"


@admin.register(SupportPlan)
class SupportPlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "monthly_fee", "minimum_term_months", "hours_included",
                    "workday_start", "workday_end", "reaction_minutes", "monthly_limit_minutes",
                    "hourly_rate", "individual", "orderable"]
    list_filter = ["individual", "orderable", "email_scope", "phone", "development"]
    search_fields = ["code", "name"]
    # "Save as new": the copy of PREMIUM that carries one customer's agreed terms (issue 14)
    save_as = True
    fieldsets = [
        (None, {"fields": ["code", "name", "individual", "orderable"]}),
        (gettext_lazy("Price and term"), {"fields": ["monthly_fee", "minimum_term_months",
                                                     "hourly_rate"]}),
        (gettext_lazy("Working hours"), {"fields": [
            "workday_start", "workday_end", "round_the_clock", "weekends", "public_holidays",
            "critical_on_days_off"]}),
        (gettext_lazy("Scope"), {"fields": [
            "reaction_minutes", "hours_included", "monthly_limit_minutes", "email_scope",
            "phone", "development"]}),
    ]


class ContractAddForm(forms.ModelForm):
    """Ordering a contract in the admin: the service does it (in `clean`, so that its refusal
    is shown on the form) and the admin then only records the addition."""

    class Meta:
        model = SupportContract
        fields = ["account", "plan", "start", "contact"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.created = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.created = services.contract_order(
                account=data["account"], plan=data["plan"], start=data["start"],
                contact=data["contact"], actor=self.request.user if self.request else None,
                as_of=today())
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            raise forms.ValidationError({field: exc.message} if field else exc.message) \
                from exc
        return data

    def _post_clean(self):
        if self.created is not None:
            self.instance = self.created  # written by the service; nothing left to save
            return
        super()._post_clean()


@admin.register(SupportContract)
class SupportContractAdmin(admin.ModelAdmin):
    list_display = ["account", "plan", "start", "minimum_end", "status", "ends_on", "next_plan",
                    "next_plan_from", "contact"]
    list_filter = ["status", "plan"]
    search_fields = ["account__name", "=account__id", "contact__user__email"]
    list_select_related = ["account", "plan", "next_plan", "contact__user"]
    autocomplete_fields = []
    raw_id_fields = ["account", "contact"]
    actions = ["cancel_contracts", "apply_scheduled"]
    date_hierarchy = "start"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            form = ContractAddForm

            class RequestForm(form):
                def __init__(self, *args, **kw):
                    super().__init__(*args, request=request, **kw)

            kwargs["form"] = RequestForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["account", "plan", "start", "contact"]
        return ["account", "plan", "start", "minimum_end", "status", "ends_on", "next_plan",
                "next_plan_from", "contact", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        """The contract was ordered by the service in the form's `clean`."""

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Cancel the selected contracts (minimum term kept)"),
                  permissions=["change"])
    def cancel_contracts(self, request, queryset):
        for contract in queryset:
            try:
                contract = services.contract_cancel(contract=contract, actor=request.user,
                                                    as_of=today())
            except DomainError as exc:
                self.message_user(request, f"{contract}: {exc.message}", messages.ERROR)
                continue
            self.message_user(request, _("%(contract)s: cancelled, ends on %(day)s.")
                              % {"contract": contract, "day": day(contract.ends_on)})

    @admin.action(description=gettext_lazy(
        "Apply scheduled plan changes and end lapsed contracts now (all contracts)"),
        permissions=["change"])
    def apply_scheduled(self, request, queryset):
        result = services.contracts_apply_scheduled(as_of=today())
        self.message_user(request, _("Plan changes applied: %(plans)d; contracts ended: "
                                     "%(ended)d.") % {"plans": result["plans_applied"],
                                                      "ended": result["ended"]})


@admin.register(ContractPlan)
class ContractPlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The plan history of contracts (written by the contract services)."""

    list_display = ["contract", "plan", "valid_from", "created_at"]
    list_filter = ["plan"]
    search_fields = ["contract__account__name", "=contract__id"]
    list_select_related = ["contract__account", "contract__plan", "plan"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "contract", "received_at", "channel", "kind", "critical", "deadline",
                    "first_response_at", "breached"]
    list_filter = ["breached", "kind", "channel", "critical", "contract__plan"]
    search_fields = ["=id", "subject", "contract__account__name"]
    list_select_related = ["contract__account", "contract__plan"]
    date_hierarchy = "received_at"
    actions = ["mark_breached"]

    @admin.action(description=gettext_lazy("Mark tickets past their deadline as breached now"),
                  permissions=["view"])
    def mark_breached(self, request, queryset):
        count = services.tickets_mark_breached(now=timezone.now())
        self.message_user(request, ngettext("%(count)d ticket marked as breached.",
                                            "%(count)d tickets marked as breached.", count)
                          % {"count": count})


@admin.register(TimeEntry)
class TimeEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["date", "contract", "ticket", "channel", "minutes", "billable_minutes",
                    "included_minutes", "billed_minutes_over_bundle", "created_by"]
    list_filter = ["channel", "contract__plan"]
    search_fields = ["contract__account__name", "=ticket__id"]
    list_select_related = ["contract__account", "contract__plan", "ticket", "created_by"]
    date_hierarchy = "date"


class SettleForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("month"), max_length=7,
        help_text=gettext_lazy("The month to settle, as YYYY-MM (for example 2026-11)."))

    def clean_month(self):
        try:
            return month_parse(self.cleaned_data["month"])
        except ValueError as exc:
            raise forms.ValidationError(
                _("Enter the month as YYYY-MM, for example 2026-11.")) from exc


@admin.register(SupportSettlement)
class SupportSettlementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["month", "contract", "fee", "overage_minutes", "overage", "document",
                    "created_at"]
    list_filter = ["month"]
    search_fields = ["contract__account__name", "document__number"]
    list_select_related = ["contract__account", "contract__plan", "document"]
    change_list_template = "support_plans/admin/settlement_change_list.html"

    def get_urls(self):
        return [path("settle/", self.admin_site.admin_view(self.settle_view),
                     name="support_plans_settle"), *super().get_urls()]

    def settle_view(self, request):
        """Settle any month that is over (the beat runs it on the 1st for the month before)."""
        if not request.user.has_perm(SETTLE_PERMISSION):
            raise PermissionDenied
        form = SettleForm(request.POST or None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                month = form.cleaned_data["month"]
                try:
                    result = services.support_settle(month=month, as_of=today(),
                                                     actor=request.user)
                except DomainError as exc:
                    form.add_error("month", exc.message)
                else:
                    counts = result.counts
                    self.message_user(request, _(
                        "Support settlement %(month)s: %(issued)d invoiced, %(nothing)d with "
                        "nothing to bill, %(already)d already settled, %(failed)d failed.")
                        % {"month": f"{month:%Y-%m}", "issued": counts["issued"],
                           "nothing": counts["nothing_to_bill"],
                           "already": counts["already_settled"], "failed": counts["failed"]},
                        messages.WARNING if result.failed else messages.SUCCESS)
                    for pk, message in result.failed:
                        self.message_user(request, _("Contract %(id)d: %(error)s")
                                          % {"id": pk, "error": message}, messages.ERROR)
                    return HttpResponseRedirect(
                        reverse("admin:support_plans_supportsettlement_changelist"))
            status = 400
        context = {**self.admin_site.each_context(request), "form": form,
                   "opts": self.model._meta, "title": _("Settle a month")}
        return TemplateResponse(request, "support_plans/admin/settle.html", context,
                                status=status)
