"""Deleting invoices' rows of one account when the account is deleted with its data (SPEC §6: an
unpaid trial account, 30 days after its trial ended). Called by `dunning.services.trials`."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from billing_site.errors import DomainError
from seats.services.purge import purge_permit

from ..models import BillingProfile, Document, DocumentKind, DocumentLine, DocumentVatTotal

logger = logging.getLogger(__name__)


def account_documents_purge(*, account) -> dict[str, int]:
    """Delete the account's pro-formas (issued or not, with their lines and VAT totals, and
    their PDF files once the transaction commits) and its invoice data (`BillingProfile`).
    Returns how many rows of each kind went: "proformas", "document_lines",
    "document_vat_totals", "billing_profiles".

    Refused with `DomainError` (code "account_has_invoices"), before anything is deleted, when
    the account has a VAT invoice or a corrective invoice in any status: accounting documents
    are kept, so such an account is not deleted (an unpaid trial never has one; the caller
    leaves the account alone and reports it). The database agrees: even under the purge permit
    its triggers let only pro-formas be deleted (invoices migration 0005).

    Runs inside the caller's transaction, which holds the account's lock
    (`seats.services.contracts.account_locked`) and has already deleted the payments that refer
    to the pro-formas (`payments.services.purge`); a row that still refers to one makes the
    deletion fail with `ProtectedError`. Issued pro-formas are frozen by a trigger: they are
    deleted under the account's purge permit (`seats.services.purge.purge_permit`), through the
    ordinary `QuerySet.delete()` (their lines and totals go first by CASCADE; `Document` has no
    `delete()` guard, only `save()` refuses).

    The pro-formas' numbers are not given back: the pro-forma series keeps a gap where they
    were, which is allowed for pro-formas (they are not accounting documents)."""
    kept = (Document.objects.filter(account_id=account.pk)
            .exclude(kind=DocumentKind.PROFORMA).order_by("id"))
    numbers = [number or _("(unnumbered)") for number in kept.values_list("number", flat=True)]
    if numbers:
        raise DomainError(
            _("The account has VAT or corrective invoices (%(numbers)s): accounting documents "
              "are kept, so the account and its data were not deleted.")
            % {"numbers": ", ".join(numbers)},
            code="account_has_invoices", status=409,
        )
    proformas = Document.objects.filter(account_id=account.pk, kind=DocumentKind.PROFORMA)
    files = [name for name in proformas.values_list("pdf", flat=True) if name]
    with purge_permit(account):
        _deleted, deleted = proformas.delete()
    _deleted, profiles = BillingProfile.objects.filter(account_id=account.pk).delete()
    if files:
        storage = Document._meta.get_field("pdf").storage
        transaction.on_commit(lambda: _files_delete(storage, files))
    return {
        "proformas": deleted.get(Document._meta.label, 0),
        "document_lines": deleted.get(DocumentLine._meta.label, 0),
        "document_vat_totals": deleted.get(DocumentVatTotal._meta.label, 0),
        "billing_profiles": profiles.get(BillingProfile._meta.label, 0),
    }


def _files_delete(storage, names):
    """The PDFs of deleted documents, after the deletion committed (a rolled-back purge keeps
    them). A file that cannot be deleted is logged: its row is gone either way."""
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("The PDF %s of a deleted document could not be deleted", name)
