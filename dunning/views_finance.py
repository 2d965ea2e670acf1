"""Finance contracts page `/finance/contracts/` (SPEC §3, issue 10), for finance staff (staff with
`seats.add_accesshold`, the permission to place the hold the Block button writes; who may block
may unblock; 403 for anyone else).

It lists the contract accounts (and any account blocked by hand) with their contract term, the
open hold and every unpaid contract invoice, overdue ones ("N days overdue") and those not yet
due ("due on …") (`services.contracts.contract_accounts_overview`). Each row
has a Block form (the reason is required; the form says what blocking does: only
administrators can log in, to the billing pages) or an Unblock button. Both are POSTs with CSRF
to this page and call `contract_account_block` / `contract_account_unblock` with
`actor=request.user`; a `DomainError` is shown on the reason field it names, else as a page
message. A successful change redirects back (post/redirect/get).

Each unpaid invoice, overdue or not yet due (money paid on time is booked before the due date,
so no reminder goes out), has a "Book a transfer" form (amount, currency, received on, transfer
title) for finance staff who also hold `TRANSFER_PERMISSION` (others see no form, and their
POST is a 403). It calls `invoices.services.invoice_transfers.invoice_transfer_book`; a refusal
is a 400 with the page again, the invoice's form open and the message on its field (or above
the form); a booking redirects back with what is paid, still due or overpaid.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing_site import formatting
from billing_site.dates import today
from billing_site.errors import DomainError
from billing_site.inputs import AMOUNT_MESSAGE, AmountFormField, StrictDateFormField
from billing_site.money import Currency
from catalogue.models import BillingPolicy
from invoices.models import Document
from invoices.services.invoice_transfers import invoice_transfer_book
from seats.forms import attach_domain_error
from seats.models import Account

from .services.contracts import (
    contract_account_block,
    contract_account_unblock,
    contract_accounts_overview,
)

FINANCE_CONTRACTS_PERMISSION = "seats.add_accesshold"
# booking a received transfer against a contract invoice (on top of the page's permission)
TRANSFER_PERMISSION = "invoices.add_invoicetransfer"
MAX_ID = 2**63 - 1  # a larger number is no row's id (and would overflow the query)



def _permission_name(perm: str) -> str:
    app_label, codename = perm.split(".", 1)
    row = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    return row.name if row else perm


def finance_contracts_required(view):
    """Login required; then active staff holding `FINANCE_CONTRACTS_PERMISSION`. A staff login
    without it gets a 403 saying which permission to ask for (the site's shared 403 page speaks
    to a customer's members); anyone else the shared 403 (as
    `payments.permissions.staff_permission_required`)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not user.has_perm(FINANCE_CONTRACTS_PERMISSION):
            return render(request, "dunning/finance/denied.html", {
                "permission": FINANCE_CONTRACTS_PERMISSION,
                "permission_name": _permission_name(FINANCE_CONTRACTS_PERMISSION),
            }, status=403)
        return view(request, *args, **kwargs)

    return wrapper


class BlockForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (kept with the block and in the audit trail)"), max_length=500,
        error_messages={"required": gettext_lazy("Give the reason for blocking the account.")},
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. invoice FV/2026/11/0001 "
                                                                  "unpaid")}))


def _block_form(account_id, data=None):
    return BlockForm(data, prefix=f"account-{account_id}")


class TransferForm(forms.Form):
    """What finance reads off the bank statement. Only required-ness is checked here: the
    amount, date and currency rules are the service's (its refusals land on these fields)."""

    amount = AmountFormField(
        label=gettext_lazy("Amount received"),
        error_messages={"required": AMOUNT_MESSAGE})
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    received_on = StrictDateFormField(
        label=gettext_lazy("Received on"),
        error_messages={"required": gettext_lazy("Enter the day the transfer was received."),
                        "invalid": gettext_lazy("Enter the day the transfer was received.")},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reference = forms.CharField(
        label=gettext_lazy("Transfer title / reference"), max_length=200,
        error_messages={"required": gettext_lazy("Enter the transfer title or bank reference.")})


def _transfer_form(invoice, data=None, as_of=None):
    form = TransferForm(data, prefix=f"invoice-{invoice.id}",
                        initial={"currency": invoice.document.currency, "received_on": as_of,
                                 # the title customers are asked to use (as for pro-formas)
                                 "reference": invoice.document.number})
    return _only_currency(form, invoice.document.currency)


def _only_currency(form, currency):
    """Only the invoice's own currency can be booked against it (issues 12/13 item 6): the list
    offers no other, and another one posted is refused by the form ("Select a valid choice")."""
    form.fields["currency"].choices = [(currency, Currency(currency).label)]
    return form


def _page_url(account_id=None):
    return reverse("dunning_finance_contracts") + (f"#account-{account_id}" if account_id else "")


def _rows(forms_by_account=None, open_account=None, transfer_form=None):
    """The page's rows; `transfer_form`: (document id, bound form) of a refused booking, shown
    open in place of that invoice's empty form. Each row's `invoices` are its unpaid invoices
    by due date (the overdue ones first), each with its booking form."""
    forms_by_account = forms_by_account or {}
    as_of = today()

    def entry(invoice):
        refused = bool(transfer_form and transfer_form[0] == invoice.id)
        return {"invoice": invoice, "overdue": invoice.is_overdue(as_of),
                "days": invoice.days_overdue(as_of),
                "form": transfer_form[1] if refused else _transfer_form(invoice, as_of=as_of),
                "open": refused}

    return as_of, [{"row": row, "form": (forms_by_account.get(row.account.pk)
                                         or _block_form(row.account.pk)),
                    "open": open_account == row.account.pk,
                    "invoices": [entry(invoice) for invoice in row.unpaid]}
                   for row in contract_accounts_overview(as_of)]


def _render(request, *, forms_by_account=None, open_account=None, status=200, rows=None):
    as_of, rows = rows or _rows(forms_by_account, open_account)
    return render(request, "dunning/finance_contracts.html",
                  {"rows": rows, "as_of": as_of,
                   "reminder_days": BillingPolicy.current().contract_reminder_days,
                   "attention": sum(1 for r in rows if r["row"].needs_attention)},
                  status=status)


def _refused(request, account, form, *, status):
    """The page again with the refused Block form of `account` open, showing its errors; when
    the page has no Block form for the account (not a contract account, or blocked meanwhile)
    the refusal is a message at the top naming the account."""
    rows = _rows({account.pk: form}, open_account=account.pk)
    if not any(item["form"] is form and item["row"].contract and not item["row"].hold
               for item in rows[1]):
        errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, _("%(account)s was not blocked: %(errors)s")
                       % {"account": account.name, "errors": errors})
    return _render(request, rows=rows, status=status)


def _account_from_post(request) -> Account:
    account_id = request.POST.get("account", "")
    if not (account_id.isascii() and account_id.isdigit()) or int(account_id) > MAX_ID:
        raise Http404
    return get_object_or_404(Account, pk=int(account_id))


def _document_from_post(request) -> Document:
    document_id = request.POST.get("document", "")
    if not (document_id.isascii() and document_id.isdigit()) or int(document_id) > MAX_ID:
        raise Http404
    return get_object_or_404(Document, pk=int(document_id))


def _transfer_refused(request, document, form, message=None):
    """400: the page again with `document`'s form open showing the refusal; when the invoice
    has no form on the page (paid or corrected meanwhile, not a contract invoice) the refusal
    is a message at the top naming the document."""
    if message:
        form.add_error(None, message)
    rows = _rows(transfer_form=(document.pk, form))
    shown = any(entry["form"] is form for item in rows[1] for entry in item["invoices"])
    if not shown:
        errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
        messages.error(request, _("No transfer was booked against %(document)s: %(errors)s")
                       % {"document": document, "errors": errors})
    return _render(request, rows=rows, status=400)


def _book_transfer(request):
    if not request.user.has_perm(TRANSFER_PERMISSION):
        return render(request, "dunning/finance/denied.html", {
            "permission": TRANSFER_PERMISSION,
            "permission_name": _permission_name(TRANSFER_PERMISSION),
        }, status=403)
    document = _document_from_post(request)
    form = _only_currency(TransferForm(request.POST, prefix=f"invoice-{document.pk}"),
                          document.currency)
    if not form.is_valid():
        return _transfer_refused(request, document, form)
    data = form.cleaned_data
    try:
        booked = invoice_transfer_book(
            document=document, amount=data["amount"], currency=data["currency"],
            received_on=data["received_on"], reference=data["reference"], actor=request.user,
            as_of=today())
    except DomainError as exc:
        if attach_domain_error(form, exc):
            return _transfer_refused(request, document, form)
        return _transfer_refused(request, document, form, message=str(exc.message))
    transfer = booked.transfer
    values = {"amount": formatting.amount(transfer.amount), "currency": transfer.currency,
              "number": document.number, "remaining": formatting.amount(booked.remaining),
              "overpaid": formatting.amount(transfer.overpaid)}
    if transfer.overpaid:
        messages.warning(request, _("%(amount)s %(currency)s booked against %(number)s: it is "
                                    "paid, overpaid by %(overpaid)s %(currency)s (kept with the "
                                    "transfer, to refund or credit).") % values)
    elif booked.is_paid:
        messages.success(request, _("%(amount)s %(currency)s booked against %(number)s: it is "
                                    "paid in full; no more reminders.") % values)
    else:
        messages.success(request, _("%(amount)s %(currency)s booked against %(number)s: "
                                    "%(remaining)s %(currency)s is still due.") % values)
    return redirect(_page_url(document.account_id))


@finance_contracts_required
def finance_contracts(request):
    if request.method != "POST":
        return _render(request)
    if request.POST.get("action") == "transfer":
        return _book_transfer(request)
    account = _account_from_post(request)
    action = request.POST.get("action")
    if action == "unblock":
        try:
            contract_account_unblock(account=account, actor=request.user)
        except DomainError as exc:  # unblocked meanwhile (a stale page): say so
            messages.error(request, str(exc.message))
            return redirect(_page_url(account.pk))
        messages.success(request, _("%(account)s is unblocked: its members can log in again as "
                                    "their seats and contract allow.") % {"account": account.name})
        return redirect(_page_url(account.pk))
    if action != "block":
        messages.error(request, _("Choose Block or Unblock."))
        return redirect(_page_url(account.pk))
    form = _block_form(account.pk, request.POST)
    if not form.is_valid():
        return _refused(request, account, form, status=400)
    try:
        contract_account_block(account=account, reason=form.cleaned_data["reason"],
                               actor=request.user)
    except DomainError as exc:
        if attach_domain_error(form, exc):
            return _refused(request, account, form, status=exc.status)
        messages.error(request, str(exc.message))  # already blocked, not a contract account
        return redirect(_page_url(account.pk))
    messages.success(request, _("%(account)s is blocked: only its administrators can log in, to "
                                "the billing pages, until you unblock it.")
                     % {"account": account.name})
    return redirect(_page_url(account.pk))
