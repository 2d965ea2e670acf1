"""Browser pages of SPEC §4–5: "Payments → Renew" with its live quote, pending orders, "Change
package" and the billing period. Administrators only (others get 403), always on
`request.member.account`, so another account's order ids give 404.

Views translate HTTP into `plans.services` calls with `actor=request.user` and `as_of=today()`.
A `DomainError` is shown on the form field it names, else as a page message; never a 500.

The renew form works without JavaScript: it is a GET form ("Recalculate" re-renders the page with
the quote), and "Continue to payment" is a separate POST form carrying the values of the quote on
screen in hidden fields. With JavaScript (static/js/renew.js) the same form is POSTed to
`renew_quote` on every change, and the summary, the hidden fields and the billing details are
updated in place.
"""

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from billing_site import formatting
from billing_site.actions import post_only
from billing_site.dates import today
from billing_site.errors import DomainError
from catalogue.models import catalogue_name
from seats import services as seat_services
from seats.models import BillingPeriod
from seats.views import account_admin_required

from . import pricing, selectors, services
from .forms import (
    OTHER_MONTH,
    AddOnBuyForm,
    BillingPeriodForm,
    PackageApplyForm,
    PackageChoiceForm,
    RenewForm,
    addon_field_name,
)
from .order_quote import OrderQuote

# Names of the feature flags a package may carry (unknown flags are shown as they are).
FEATURE_LABELS = {
    "contacts": gettext_lazy("Contacts"),
    "deals": gettext_lazy("Deals"),
    "email": gettext_lazy("E-mail"),
    "automations": gettext_lazy("Automations"),
    "sequences": gettext_lazy("Sequences"),
    "advanced_reports": gettext_lazy("Advanced reports"),
}
SEAT_NUMBERS_SHOWN = 8  # in a package-change preview row; the rest is "and N more"


def _money(value):
    """Amounts as the quote JSON writes them ("90.47"), so that the page and renew.js agree."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def _percent(value):
    """"5.00" → "5", "23.00" → "23", "7.50" → "7.5" (renew.js trims the same way)."""
    return format(Decimal(value).normalize(), "f")


def _duration(months, partials):
    """"2 months + 15/30 days", "12 months", "15/30 days", "15/30 days + 7/31 days": every
    partial month shown with its own month's days, so the shown maths gives the amount."""
    parts = []
    if months or not partials:
        parts.append(ngettext("%(count)d month", "%(count)d months", months) % {"count": months})
    for days, dim in partials:
        parts.append(_("%(days)d/%(dim)d days") % {"days": days, "dim": dim})
    return " + ".join(parts)


# --- Payments → Renew ---------------------------------------------------------------------------


def _shortcuts(as_of, valid_until):
    """The target-month shortcuts (`services.renewal_shortcuts`) as the template shows them.
    Months ending before the seats' current validity cannot be quoted; they are shown
    disabled."""
    rows = []
    for shortcut in services.renewal_shortcuts(valid_until=valid_until, as_of=as_of):
        if shortcut.offset == 0:
            label = _("End of this month")
        else:
            label = ngettext("+%(count)d month", "+%(count)d months",
                             shortcut.offset) % {"count": shortcut.offset}
        rows.append({"value": shortcut.value, "label": label, "end": shortcut.end,
                     "disabled": shortcut.disabled})
    return rows


def _default_data(account, valid_until, basis, as_of):
    """The default target month (`services.renewal_default_target`); no new seats or packs."""
    year, month = services.renewal_default_target(account=account, valid_until=valid_until,
                                                  as_of=as_of, basis=basis)
    data = {"until": f"{year:04d}-{month:02d}", "other_month": "", "add_seats": "0"}
    data.update({addon_field_name(code): "0" for code in basis.states})
    return data


def _normalised(data, shortcuts):
    """A month that is no shortcut (a link, or the values of a refused order) is shown as
    "another month"."""
    data = data.copy()
    until = data.get("until", "")
    if until and until != OTHER_MONTH and until not in {s["value"] for s in shortcuts}:
        data["other_month"], data["until"] = until, OTHER_MONTH
    return data


def _quote(form, account, as_of, basis=None):
    """The quote for a bound RenewForm, or None with the errors put on the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.renewal_quote(account=account, until=data["target"],
                                      add_seats=data["add_seats"], add_ons=data["add_ons"],
                                      as_of=as_of, basis=basis)
    except DomainError as exc:
        if not form.attach_domain_error(exc):
            form.add_error(None, str(exc.message))
        return None


QUOTE_AMOUNTS = ("net_before_discount", "discount", "net", "vat", "gross")
QUOTE_PERCENTS = ("discount_percent", "vat_rate")


def _display(data):
    """The summary values of a quote JSON as the page shows them in the active language, for
    renew.js, which puts these strings on screen and never formats numbers itself."""
    shown = {key: formatting.amount(data[key]) for key in QUOTE_AMOUNTS}
    shown.update({key: formatting.percent(data[key]) for key in QUOTE_PERCENTS})
    shown["valid_until"] = formatting.day(data["valid_until"])
    return shown


def _details(quote: OrderQuote, addon_names):
    """Billing details of a quote (a live quote, or an order's stored one read through
    `OrderQuote`): seat lines grouped by identical periods (pricing.group_lines, which reads the
    `OrderQuoteLine`s as they are), then the add-on lines; `summary` is the quote JSON without
    its lines (`OrderQuote.totals_json`), formatted by the templates' `formatting` filters.
    The quote is not written out as JSON and read back: with a thousand seats that costs more
    than the rest of the page (issue 16)."""
    groups = [
        {"count": g.count, "new_seats": g.new_seats, "start": g.start.isoformat(),
         "end": g.end.isoformat(), "duration": _duration(g.months, g.partials),
         "unit_price": _money(g.unit_price), "amount": _money(g.amount)}
        for g in pricing.group_lines(quote.seat_lines)
    ]
    addons = [
        {"name": addon_names.get(line.add_on, line.add_on), "packs": line.packs,
         "start": line.start.isoformat(), "end": line.end.isoformat(),
         "duration": _duration(line.months, line.partials),
         "unit_price": _money(line.unit_price), "amount": _money(line.amount)}
        for line in quote.add_on_lines
    ]
    return {"groups": groups, "addon_lines": addons, "summary": quote.totals_json(),
            "currency": quote.currency}


def _order_fields(form, quote):
    """Hidden fields of "Continue to payment": exactly the values of the quote on screen (empty
    without a quote; renew.js fills them from each live quote)."""
    names = ["until", "add_seats"] + [addon_field_name(code) for code in form.addon_states]
    if quote is None:
        return [(name, "") for name in names]
    data = form.cleaned_data
    year, month = data["target"]
    values = [f"{year:04d}-{month:02d}", data["add_seats"]]
    values += [data["add_ons"].get(code, 0) for code in form.addon_states]
    return list(zip(names, values, strict=True))


def _render_renew(request, account, *, buy_form=None, status=200):
    """The Renew page. What it shows and quotes (the account, its seats, the add-on states, the
    seat price, the ladder, the policy) is read once, as a `QuoteBasis` (issue 16): the default
    target's trial quotes and the quote shown reuse it."""
    as_of = today()
    basis = services.quote_basis(account, with_free=True)
    account, states = basis.account, basis.states
    groups = selectors.seat_groups(basis.seats)
    valid_until = groups[-1]["valid_until"] if groups else None
    shortcuts = _shortcuts(as_of, valid_until)
    if "until" in request.GET:
        data = request.GET
    else:
        data = _default_data(account, valid_until, basis, as_of)
    form = RenewForm(_normalised(data, shortcuts), addon_states=states)
    quote = _quote(form, account, as_of, basis)
    addon_names = {code: catalogue_name(state.name) for code, state in states.items()}
    context = {
        "account": account,
        "package": account.package,
        "seat_price": basis.unit_price,
        "seat_groups": groups,
        "seats_total": sum(g["total"] for g in groups),
        "valid_until": valid_until,
        "shortcuts": shortcuts,
        "selected_until": form.data.get("until"),
        "form": form,
        "ladder": [{"min": months, "percent": _percent(percent)}
                   for months, percent in basis.ladder],
        "addon_states": list(states.values()),
        "buy_form": buy_form or AddOnBuyForm(addon_states=states),
        "can_buy_addons": any(s.max_more_packs for s in states.values()),
        # packs bought alone run to the current validity: none left, they come with a renewal
        "addons_need_renewal": valid_until is None or valid_until < as_of,
        "order_fields": _order_fields(form, quote),
        "can_order": quote is not None and quote.gross > 0,
        "billing_period": account.billing_period,
        "billing_period_label": account.get_billing_period_display(),
        "annual": BillingPeriod.ANNUAL,
        "currency": account.currency,
        # for the recurring payments card (dunning_recurring), which would read them again
        "recurring_known": {"valid_until": valid_until,
                            "grace_days": basis.policy.grace_days},
    }
    if quote is not None:
        context.update(_details(services.renewal_order_quote(quote, account.currency),
                                addon_names))
    return render(request, "plans/renew.html", context, status=status)


@account_admin_required
def renew_page(request, account):
    return _render_renew(request, account)


@account_admin_required
@post_only("payments_renew")
def renew_quote(request, account):
    """The live quote of the renew page: the form POSTed by renew.js (session and CSRF token),
    answered with `services.quote_json` plus the rendered billing details, or
    `{"error", "field"}` with status 400."""
    basis = services.quote_basis(account)
    states = basis.states
    form = RenewForm(request.POST, addon_states=states)
    quote = _quote(form, account, today(), basis)
    if quote is None:
        field, message = form.first_error()
        return JsonResponse({"error": str(message), "field": field}, status=400)
    order_quote = services.renewal_order_quote(quote, account.currency)
    data = order_quote.to_json()
    details = _details(order_quote, {code: catalogue_name(state.name)
                                     for code, state in states.items()})
    data["display"] = _display(data)
    data["details_html"] = render_to_string("plans/includes/quote_details.html", details,
                                            request=request)
    return JsonResponse(data)


def _renew_url(data, anchor=""):
    keys = ["until", "other_month", "add_seats"]
    keys += [k for k in data if k.startswith("addon_")]
    query = urlencode({k: data.get(k, "") for k in keys if k in data})
    return reverse("payments_renew") + (f"?{query}" if query else "") + anchor


@account_admin_required
@post_only("payments_renew")
def renew_order(request, account):
    """"Continue to payment": a pending order holding exactly the quote on screen."""
    form = RenewForm(request.POST, addon_states=services.addon_states(account))
    if form.is_valid():
        data = form.cleaned_data
        try:
            order = services.renewal_order_create(
                account=account, until=data["target"], add_seats=data["add_seats"],
                add_ons=data["add_ons"], actor=request.user, as_of=today(),
            )
        except DomainError as exc:
            reason = str(exc.message)
        else:
            messages.success(request, _("Order #%(id)d has been created and waits for payment.")
                             % {"id": order.pk})
            return redirect("payments_order", order_id=order.pk)
    else:
        reason = form.first_error()[1]
    messages.error(request, _("The order was not created: %(reason)s") % {"reason": reason})
    return redirect(_renew_url(request.POST))


@account_admin_required
@post_only("payments_renew")
def addon_order(request, account):
    """Add-on packs bought now, outside a renewal: a pending order, pro rata until the
    account's validity end."""
    form = AddOnBuyForm(request.POST, addon_states=services.addon_states(account))
    if form.is_valid():
        try:
            order = services.addon_order_create(account=account,
                                                add_ons=form.cleaned_data["add_ons"],
                                                actor=request.user, as_of=today())
        except DomainError as exc:
            # shown in the form itself, where the admin is looking (not above the page)
            if not form.attach_domain_error(exc):
                form.add_error(None, str(exc.message))
            return _render_renew(request, account, buy_form=form)
        else:
            messages.success(request, _("Order #%(id)d has been created and waits for payment.")
                             % {"id": order.pk})
            return redirect("payments_order", order_id=order.pk)
    return _render_renew(request, account, buy_form=form)


@account_admin_required
@post_only("payments_renew", anchor="billing-period")
def billing_period(request, account):
    """Monthly → annual is self-service; the service refuses annual → monthly (staff only)."""
    form = BillingPeriodForm(request.POST)
    if not form.is_valid():
        if "confirm" in form.errors:
            messages.error(request, form.errors["confirm"][0])
        else:
            messages.error(request, _("Choose monthly or annual."))
    else:
        try:
            changed = seat_services.billing_period_change(
                account=account, period=form.cleaned_data["period"], actor=request.user,
                as_of=today(), by_staff=False,
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            # one sentence per period, not "now %(period)s" (issue 12: grammar in both languages)
            messages.success(request, _("You are now billed annually.")
                             if changed.billing_period == BillingPeriod.ANNUAL
                             else _("You are now billed monthly."))
    return redirect(reverse("payments_renew") + "#billing-period")


@account_admin_required
def order_page(request, account, order_id):
    order = selectors.order_of_account(account, order_id)
    if order is None:
        raise Http404
    order = services.order_refresh(order=order, as_of=today())
    quote = services.order_quote(order)
    names = {code: catalogue_name(name) for code, name in
             selectors.add_on_names({line.add_on for line in quote.add_on_lines}).items()}
    context = {"order": order, "request_data": quote.request or {}, **_details(quote, names)}
    return render(request, "plans/order.html", context)


# --- Change package -----------------------------------------------------------------------------


def _package_rows(account):
    """Active packages with the seat price in the account's currency and their entitlements."""
    return [
        {"package": p, "price": price, "current": p.pk == account.package_id,
         "features": [FEATURE_LABELS.get(f, f) for f in p.features], "addons": limits}
        for p, price, limits in selectors.package_offers(account)
    ]


def _preview_rows(changes, numbers):
    """Seats of a package-change preview grouped by (valid until before, after), each named by
    its number in the account (`numbers`: seat id → number), as on the Users page."""
    rows = {}
    for change in changes:
        rows.setdefault((change.valid_until_before, change.valid_until_after), []).append(
            numbers.get(change.seat_id, change.seat_id))
    return [
        {"before": before, "after": after, "count": len(shown),
         "seat_numbers": sorted(shown)[:SEAT_NUMBERS_SHOWN],
         "more": max(0, len(shown) - SEAT_NUMBERS_SHOWN)}
        for (before, after), shown in sorted(rows.items())
    ]


def _render_package(request, account, *, code=None, apply_form=None, error=None, status=200):
    preview = None
    if code and error is None:
        try:
            result = services.package_change(account=account, package_code=code, dry_run=True,
                                             actor=request.user, as_of=today())
        except DomainError as exc:
            error = str(exc.message)
            status = exc.status
        else:
            preview = {"package": result.package, "effective": result.effective,
                       "seats": len(result.seats),
                       "rows": _preview_rows(result.seats, selectors.seat_numbers(
                           account, [change.seat_id for change in result.seats]))}
    rows = _package_rows(account)
    context = {
        "account": account,
        "rows": rows,
        "current": next((r for r in rows if r["current"]), None),
        "chosen": code,
        "preview": preview,
        "error": error,
        "apply_form": apply_form or PackageApplyForm(initial={"package": code}),
        "last_change": selectors.last_package_change(account),
        "currency": account.currency,
    }
    return render(request, "plans/package.html", context, status=status)


def _choice_error(form) -> str:
    """The messages of a refused `PackageChoiceForm`, joined."""
    return "; ".join(str(message) for message in form.errors.get("package", []))


@account_admin_required
def package_page(request, account):
    """GET ?package=code previews the change (dry run); POST with the accepted terms applies
    it. Only a code its form accepted reaches the service; a refused one answers 400 with the
    form's message, a refused change the service's status (409 for a state conflict)."""
    if request.method != "POST":
        choice = PackageChoiceForm(request.GET)
        if not choice.is_valid():
            return _render_package(request, account, error=_choice_error(choice), status=400)
        return _render_package(request, account, code=choice.cleaned_data["package"] or None)
    form = PackageApplyForm(request.POST)
    if not form.is_valid():
        choice = PackageChoiceForm(request.POST)
        code = choice.cleaned_data["package"] or None if choice.is_valid() else None
        return _render_package(request, account, code=code, apply_form=form, status=400)
    code = form.cleaned_data["package"]
    try:
        result = services.package_change(account=account, package_code=code, dry_run=False,
                                         actor=request.user, as_of=today())
    except DomainError as exc:
        return _render_package(request, account, code=code, error=str(exc.message),
                               status=exc.status)
    messages.success(
        request,
        ngettext("Your package is now %(package)s. The remaining time of %(count)d seat has "
                 "been converted at the price ratio.",
                 "Your package is now %(package)s. The remaining time of %(count)d seats has "
                 "been converted at the price ratio.", len(result.seats))
        % {"package": result.package.display_name, "count": len(result.seats)},
    )
    return redirect("package_change")
