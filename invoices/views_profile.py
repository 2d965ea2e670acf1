"""Page "Payments → Invoice data" (SPEC §7): the buyer and an optional separate ordering party,
for the account's administrators (others get 403), always on `request.member.account`.

One HTML form carries both Django forms (prefixes `buyer` and `ordering`), because the service
saves them together; the ordering party's fields only count when its checkbox is ticked. Errors of
`invoices.services.profile` are shown beside their fields; success redirects (POST/redirect/GET)
with a message that says what the change means: future documents only, the new currency, the VIES
status, and the buyer-data correction when one was issued.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from billing_site.dates import today
from billing_site.errors import DomainError
from seats.views import account_admin_required

from .forms import BuyerForm, OrderingPartyForm, attach_profile_errors
from .models import BillingProfile, TaxIdStatus
from .services import profile as profile_services
from .services.profile import BUYER_FIELDS, ProfileErrors


def _buyer_initial(profile, account):
    if profile is None:
        return {"country": account.country.code}
    initial = {field: getattr(profile, field) for field in BUYER_FIELDS}
    initial["country"] = profile.country.code
    return initial


def _success_messages(request, result):
    if not result.changed:
        messages.info(request, _("Nothing changed: your invoice data is as it was."))
        return
    text = _("Invoice data saved. The changes apply to documents issued from now on; documents "
             "already issued stay as they are.")
    if result.currency_changed:
        text += " " + _("New documents will be in %(currency)s.") % {
            "currency": result.profile.account.currency}
    correction = result.correction
    if correction is not None:
        if correction.number:
            text += " " + _("A correction of the buyer data of invoice %(original)s was issued: "
                            "%(number)s.") % {"original": correction.corrects.number,
                                              "number": correction.number}
        else:
            text += " " + _("A correction of the buyer data of invoice %(original)s was "
                            "issued.") % {"original": correction.corrects.number}
    messages.success(request, text)
    if result.profile.tax_id_status == TaxIdStatus.PENDING:
        messages.warning(request, _("VIES could not be reached to confirm your VAT id; it will be "
                                    "checked again automatically. Reverse charge applies once "
                                    "VIES confirms it."))


@account_admin_required
@require_http_methods(["GET", "POST"])
def invoice_data(request, account):
    profile = BillingProfile.objects.filter(account=account).first()
    if request.method == "POST":
        buyer_form = BuyerForm(request.POST, prefix="buyer")
        ordering_form = OrderingPartyForm(request.POST, prefix="ordering")
        if buyer_form.is_valid() and ordering_form.is_valid():
            data = {**buyer_form.service_data(), **ordering_form.service_data()}
            try:
                result = profile_services.billing_profile_update(
                    account=account, data=data, actor=request.user, as_of=today(),
                )
            except ProfileErrors as exc:
                for message in attach_profile_errors(exc, buyer_form, ordering_form):
                    buyer_form.add_error(None, message)
            except DomainError as exc:  # e.g. a refusal of the buyer-data correction
                buyer_form.add_error(None, str(exc.message))
            else:
                _success_messages(request, result)
                return redirect("payments_invoice_data")
    else:
        buyer_form = BuyerForm(prefix="buyer", initial=_buyer_initial(profile, account))
        ordering_form = OrderingPartyForm(prefix="ordering",
                                          initial=OrderingPartyForm.initial_from(profile))
    context = {
        "account": account,
        "profile": profile,
        "buyer_form": buyer_form,
        "ordering_form": ordering_form,
        "last_invoice": profile_services.last_issued_invoice(account),
    }
    return render(request, "invoices/invoice_data.html", context)
