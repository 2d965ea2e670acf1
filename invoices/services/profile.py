"""Invoice data of an account (SPEC §7): the buyer (company, or a natural person in Poland), an
optional separate ordering party, tax ids checked with python-stdnum and VIES, and the currency
that follows the buyer's country.

`billing_profile_update` is the one write. It refuses bad input with `ProfileErrors` (every field
at fault at once, so the page and the API can show each message beside its field), asks VIES
*before* taking any lock (a slow VIES must not hold the account row), then, in one transaction with
the account row locked: saves the profile, writes the audit rows, moves the account to the
country's currency for future documents (`seats.services.account_billing_country_set`: the seats
app owns the account's fields), and — when buyer-visible data of an account that already
has an issued VAT invoice changed — issues a buyer-data correction of the last one.

VIES outcomes: valid → `tax_id_status` valid; invalid → refused on the tax id field; unknown (VIES
down) → saved as pending and re-checked by `invoices.recheck_vat_id` with backoff
(`billing_profile_recheck_vat_id`), never treated as invalid.

Tax ids are stored normalised: a Polish NIP as 10 digits; an EU VAT id with its VIES prefix
(DE136695976, EL094014201 for Greece); elsewhere as typed (spaces collapsed).
"""

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django_countries import countries
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip
from stdnum.util import clean

from billing_site.errors import DomainError
from billing_site.geo import EU
from billing_site.outbox import enqueue
from invoices import vies
from invoices.ksef.schema import nip_accepted_by_ksef
from invoices.models import BillingProfile, Document, DocumentKind, DocumentStatus, PartyKind
from invoices.models import TaxIdStatus as Status
from invoices.services.corrections import correction_issue_buyer_data
from seats.audit import audit_record, snapshot
from seats.models import Account
from seats.services import account_billing_country_set, currency_for_country

logger = logging.getLogger(__name__)

BUYER_FIELDS = ["kind", "name", "street", "postal_code", "city", "country", "tax_id",
                "invoice_email"]
ORDERING_PARTY_FIELDS = ["ordering_party_name", "ordering_party_street",
                         "ordering_party_postal_code", "ordering_party_city",
                         "ordering_party_country", "ordering_party_tax_id"]
INPUT_FIELDS = BUYER_FIELDS + ORDERING_PARTY_FIELDS
# What an invoice shows of the buyer: a change here calls for a buyer-data correction. The
# invoice e-mail and the VIES status are not printed as buyer data.
BUYER_VISIBLE_FIELDS = [f for f in INPUT_FIELDS if f != "invoice_email"]
AUDIT_FIELDS = INPUT_FIELDS + ["tax_id_status", "tax_id_checked_at"]

# An unknown VIES answer is asked again after 5 min, 15 min, 45 min, … (×3), at most a day apart.
RECHECK_FIRST_DELAY = 300
RECHECK_MAX_DELAY = 24 * 3600
# The hourly sweep re-queues pending ids whose last VIES attempt is at least this old.
RECHECK_SWEEP_AFTER = timedelta(hours=1)

_PL_POSTAL_CODE = re.compile(r"\A([0-9]{2})-?([0-9]{3})\Z")
# Prefixes a VAT id may start with (VIES codes: Greece is EL, Northern Ireland XI)
_VAT_PREFIXES = (EU - {"GR"}) | {"EL", "XI"}


class ProfileErrors(DomainError):
    """Several input fields refused at once. `errors` maps a field of the service's input (see
    INPUT_FIELDS) to its messages; as a plain `DomainError` it carries the first of them."""

    def __init__(self, errors: dict[str, list[str]]):
        field, messages = next(iter(errors.items()))
        super().__init__(messages[0], code="invalid", field=field)
        self.errors = errors


@dataclass(frozen=True)
class ProfileUpdateResult:
    profile: BillingProfile
    # the buyer-data correction issued for the last VAT invoice, if any
    correction: Document | None = None
    changed: bool = True  # False: the input equalled the stored data, nothing was written
    currency_changed: bool = False  # the account moved to another currency for future documents
    vies_check: vies.VatCheck | None = None  # VIES's answer in this update, if it was asked


def recheck_delay(attempt: int) -> int:
    """Seconds before VIES re-check number `attempt` (0 = the first after the update)."""
    return min(RECHECK_FIRST_DELAY * 3**attempt, RECHECK_MAX_DELAY)


# --- validation ---------------------------------------------------------------------------------


def _max_length(field):
    return BillingProfile._meta.get_field(field).max_length


def _text(data, field):
    value = data.get(field)
    return " ".join(str(value).split()) if value is not None else ""


class _Errors(dict):
    def add(self, field, message):
        self.setdefault(field, []).append(str(message))


def _clean_country(value, field, errors):
    code = (value or "").strip().upper()
    if not code:
        errors.add(field, _("Choose a country."))
        return ""
    if code not in countries:
        errors.add(field, _("“%(code)s” is not a known country code.") % {"code": code})
        return ""
    return code


def _clean_nip(value, field, errors):
    """A Polish NIP: 10 digits with a valid check digit, and the form KSeF accepts (the FA(3)
    schema's NIP pattern refuses some numbers that pass the checksum, e.g. 0000000000)."""
    try:
        cleaned = nip.validate(value)
    except StdnumError:
        errors.add(field, _("This is not a valid NIP: check its 10 digits (the last one is a "
                            "check digit)."))
        return value
    if not nip_accepted_by_ksef(cleaned):
        errors.add(field, _("This NIP cannot be used on an invoice: KSeF, the national e-invoice "
                            "system, accepts no NIP starting with 0 or with 0 as both its "
                            "second and third digit."))
    return cleaned


def _clean_eu_vat_id(value, country, field, errors):
    """EU format and check digit; returns the id with its VIES prefix ("DE 136 695 976" and
    "136695976" for Germany both give "DE136695976")."""
    prefix = vies.vies_country_code(country)
    compact = clean(value, " -./,").upper()
    if compact[:2] == "GR":
        compact = "EL" + compact[2:]
    if compact[:2] not in _VAT_PREFIXES:
        compact = prefix + compact
    if compact[:2] != prefix:
        errors.add(field, _("The VAT id of a company in %(country)s starts with %(prefix)s.")
                   % {"country": countries.name(country), "prefix": prefix})
        return compact
    try:
        return eu_vat.validate(compact)
    except StdnumError:
        errors.add(field, _("This is not a valid VAT id of %(country)s: check the number and its "
                            "check digit.") % {"country": countries.name(country)})
        return compact


def _clean_postal_code(value, country, field, errors):
    if country == "PL" and value:
        match = _PL_POSTAL_CODE.match(value)
        if match is None:
            errors.add(field, _("Enter a Polish postal code as NN-NNN, e.g. 00-950."))
            return value
        return f"{match[1]}-{match[2]}"
    return value


def _clean_tax_id(value, *, country, kind, field, errors):
    """A Polish NIP (required of a Polish company), an EU VAT id (optional: without one the buyer
    is billed as a consumer, with Polish VAT), or any tax id elsewhere (optional, free text)."""
    if not value:
        if country == "PL" and kind == PartyKind.COMPANY:
            errors.add(field, _("Enter the NIP of the company."))
        return ""
    if country == "PL":
        return _clean_nip(value, field, errors)
    if country in EU:
        return _clean_eu_vat_id(value, country, field, errors)
    return value


def _require_lengths(cleaned, errors):
    for field, value in cleaned.items():
        limit = _max_length(field)
        if limit and isinstance(value, str) and len(value) > limit:
            errors.add(field, _("Ensure this value has at most %(limit_value)d characters (it has "
                                "%(show_value)d).") % {"limit_value": limit,
                                                       "show_value": len(value)})


def clean_profile_data(data: dict) -> dict:
    """The input, normalised, as model field values; raises ProfileErrors listing every field at
    fault. No database and no network."""
    errors = _Errors()
    cleaned = {field: _text(data, field) for field in INPUT_FIELDS}

    kind = cleaned["kind"] = cleaned["kind"].lower()
    if kind not in PartyKind.values:
        errors.add("kind", _("Choose company or natural person."))
    for field in ("name", "street", "postal_code", "city"):
        if not cleaned[field]:
            errors.add(field, _("This field is required."))
    country = cleaned["country"] = _clean_country(cleaned["country"], "country", errors)
    if kind == PartyKind.PERSON and country and country != "PL":
        errors.add("kind", _("A natural person can be the buyer only in Poland; for another "
                             "country choose company."))
    cleaned["postal_code"] = _clean_postal_code(cleaned["postal_code"], country, "postal_code",
                                                errors)
    if country:
        cleaned["tax_id"] = _clean_tax_id(cleaned["tax_id"], country=country, kind=kind,
                                          field="tax_id", errors=errors)

    email = cleaned["invoice_email"]
    if not email:
        errors.add("invoice_email", _("This field is required."))
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors.add("invoice_email", _("Enter a valid e-mail address."))

    # the ordering party: all blank means "none"; otherwise a full name and address
    if any(cleaned[field] for field in ORDERING_PARTY_FIELDS):
        for field in ("ordering_party_name", "ordering_party_street",
                      "ordering_party_postal_code", "ordering_party_city"):
            if not cleaned[field]:
                errors.add(field, _("This field is required."))
        op_country = cleaned["ordering_party_country"] = _clean_country(
            cleaned["ordering_party_country"], "ordering_party_country", errors
        )
        cleaned["ordering_party_postal_code"] = _clean_postal_code(
            cleaned["ordering_party_postal_code"], op_country, "ordering_party_postal_code",
            errors,
        )
        if op_country and cleaned["ordering_party_tax_id"]:
            # checked for format only: the ordering party does not decide the VAT treatment
            cleaned["ordering_party_tax_id"] = _clean_tax_id(
                cleaned["ordering_party_tax_id"], country=op_country, kind=PartyKind.COMPANY,
                field="ordering_party_tax_id", errors=errors,
            )

    _require_lengths(cleaned, errors)
    if errors:
        raise ProfileErrors(dict(errors))
    return cleaned


def _needs_vies(cleaned: dict) -> bool:
    """Only EU businesses outside Poland (a Polish NIP is checked by its checksum alone)."""
    return bool(cleaned["tax_id"]) and cleaned["country"] in EU and cleaned["country"] != "PL"


def _vies_invalid_message():
    return _("VIES says this VAT id is not valid. Check the number, and that it is registered "
             "for intra-EU transactions; without a valid VAT id leave the field empty (invoices "
             "then carry Polish VAT).")


# --- the write ----------------------------------------------------------------------------------


def billing_profile_update(*, account, data: dict, actor, as_of: date) -> ProfileUpdateResult:
    """Create or replace the account's invoice data. `data` holds INPUT_FIELDS (the ordering
    party's all blank for none). Raises ProfileErrors; see the module docstring."""
    cleaned = clean_profile_data(data)

    check = None
    if _needs_vies(cleaned):
        stored = BillingProfile.objects.filter(account=account).first()
        already_valid = (stored is not None and stored.tax_id == cleaned["tax_id"]
                         and stored.tax_id_status == Status.VALID)
        if not already_valid:  # outside any lock: VIES may take VIES_TIMEOUT seconds
            check = vies.check_vat(cleaned["tax_id"][:2], cleaned["tax_id"][2:])
            if check.status == vies.INVALID:
                raise ProfileErrors({"tax_id": [_vies_invalid_message()]})

    with transaction.atomic():
        return _save(account=account, cleaned=cleaned, check=check, actor=actor, as_of=as_of)


def _tax_id_status(cleaned, profile, check) -> tuple[str, datetime | None]:
    if not _needs_vies(cleaned):
        return Status.NOT_APPLICABLE, None
    if check is None:
        if (profile is not None and profile.tax_id == cleaned["tax_id"]
                and profile.tax_id_status == Status.VALID):
            return Status.VALID, profile.tax_id_checked_at
        # it stopped being valid while VIES was not asked (a concurrent change): check later
        return Status.PENDING, None
    if check.status == vies.VALID:
        return Status.VALID, check.checked_at
    return Status.PENDING, check.checked_at  # unknown: the time of the last attempt


def _save(*, account, cleaned, check, actor, as_of) -> ProfileUpdateResult:
    account = Account.objects.select_for_update().get(pk=account.pk)
    profile = BillingProfile.objects.select_for_update().filter(account=account).first()
    creating = profile is None
    before = None if creating else snapshot(profile, AUDIT_FIELDS)
    previous_country = account.country.code if creating else profile.country.code
    if creating:
        profile = BillingProfile(account=account)

    status, checked_at = _tax_id_status(cleaned, None if creating else profile, check)
    for field, value in cleaned.items():
        setattr(profile, field, value)
    profile.tax_id_status, profile.tax_id_checked_at = status, checked_at
    after = snapshot(profile, AUDIT_FIELDS)
    if before == after:
        return ProfileUpdateResult(profile, changed=False, vies_check=check)

    profile.save()
    audit_record(account=account, actor=actor,
                 action="billing_profile.create" if creating else "billing_profile.update",
                 target=profile, before=before, after=after)

    currency_changed = _follow_country(account, profile.country.code, previous_country, actor)

    if status == Status.PENDING and (check is not None or before is None
                                     or before["tax_id_status"] != Status.PENDING):
        # through the outbox, in this transaction: a broker that is down loses nothing (the
        # hourly sweep stays the safety net for chains that give up)
        enqueue("invoices.recheck_vat_id", args=[profile.pk], countdown=recheck_delay(0),
                key=f"invoices.recheck_vat_id:{profile.pk}")

    correction = None
    if not creating and any(before[f] != after[f] for f in BUYER_VISIBLE_FIELDS):
        correction = _correct_last_invoice(account=account, actor=actor, as_of=as_of)
    return ProfileUpdateResult(profile, correction=correction, currency_changed=currency_changed,
                               vies_check=check)


def _follow_country(account, country, previous_country, actor) -> bool:
    """SPEC §7: the currency follows the buyer's country, for future documents (issued ones
    keep theirs). Only a change of country moves it, so a currency staff set by hand survives
    other edits. The account is written by its owner, `seats.services`."""
    if country == previous_country:
        return False
    currency_before = account.currency
    account_billing_country_set(account=account, country=country,
                                currency=currency_for_country(country), actor=actor)
    account.refresh_from_db(fields=["country", "currency"])  # the profile shows it (the page)
    return account.currency != currency_before


def last_issued_invoice(account) -> Document | None:
    return (Document.objects
            .filter(account=account, kind=DocumentKind.INVOICE, status=DocumentStatus.ISSUED)
            .order_by("-issue_date", "-id").first())


def _correct_last_invoice(*, account, actor, as_of) -> Document | None:
    original = last_issued_invoice(account)
    if original is None:
        return None
    return correction_issue_buyer_data(original=original, actor=actor, as_of=as_of)


# --- VIES re-checks (Celery) ----------------------------------------------------------------------

INVALID_NOTE = ("VIES says this VAT id is not valid: it no longer counts as an EU business with "
                "a valid VAT id, so new documents carry 23 % Polish VAT instead of reverse charge "
                "until the account's admin corrects the VAT id.")


def billing_profile_recheck_vat_id(*, profile_id) -> str:
    """Ask VIES again about a pending VAT id. Returns vies.VALID / INVALID / UNKNOWN, or
    "skipped" when the profile is gone, no longer pending, or its VAT id changed meanwhile."""
    profile = BillingProfile.objects.filter(pk=profile_id).first()
    if profile is None or profile.tax_id_status != Status.PENDING or not profile.tax_id:
        return "skipped"
    tax_id = profile.tax_id
    check = vies.check_vat(tax_id[:2], tax_id[2:])  # outside the transaction: may be slow

    with transaction.atomic():
        Account.objects.select_for_update().get(pk=profile.account_id)
        profile = BillingProfile.objects.select_for_update().filter(pk=profile_id).first()
        if profile is None or profile.tax_id_status != Status.PENDING or profile.tax_id != tax_id:
            return "skipped"
        if check.status == vies.UNKNOWN:
            # remembered as the last attempt, so the hourly sweep leaves it alone for a while
            profile.tax_id_checked_at = check.checked_at
            profile.save(update_fields=["tax_id_checked_at"])
            return vies.UNKNOWN
        before = snapshot(profile, ["tax_id", "tax_id_status", "tax_id_checked_at"])
        profile.tax_id_status = Status.VALID if check.status == vies.VALID else Status.INVALID
        profile.tax_id_checked_at = check.checked_at
        profile.save(update_fields=["tax_id_status", "tax_id_checked_at", "updated_at"])
        after = snapshot(profile, ["tax_id", "tax_id_status", "tax_id_checked_at"])
        if check.status == vies.INVALID:
            after["note"] = INVALID_NOTE
            logger.warning("VAT id %s of account %s is invalid in VIES", tax_id,
                           profile.account_id)
        audit_record(account=profile.account, actor=None,
                     action=f"billing_profile.vat_id_{profile.tax_id_status}", target=profile,
                     before=before, after=after)
        return check.status


def billing_profiles_due_for_recheck(*, now: datetime, limit=500) -> list[int]:
    """Pending VAT ids whose last VIES attempt (or, never tried, last change) is at least
    RECHECK_SWEEP_AFTER old: the sweep's safety net for re-check chains that were lost or gave
    up."""
    cutoff = now - RECHECK_SWEEP_AFTER
    never_tried = {"tax_id_checked_at__isnull": True, "updated_at__lte": cutoff}
    qs = BillingProfile.objects.filter(tax_id_status=Status.PENDING).exclude(tax_id="")
    qs = qs.filter(Q(tax_id_checked_at__lte=cutoff) | Q(**never_tried))
    return list(qs.order_by("tax_id_checked_at", "id").values_list("id", flat=True)[:limit])
