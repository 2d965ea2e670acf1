"""Start-up checks of the invoices app (Django system checks, run by every manage.py command and
by the web and worker processes' start)."""

from django.conf import settings
from django.core import checks
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip

from invoices.ksef.schema import nip_accepted_by_ksef


@checks.register(checks.Tags.compatibility)
def seller_nip_accepted_by_ksef(app_configs=None, **kwargs):
    """The seller's NIP (SELLER_NIP) must pass the checksum and the FA(3) schema's NIP pattern:
    otherwise every invoice would be refused by KSeF (issue 15)."""
    value = str(settings.SELLER.get("tax_id", ""))
    try:
        cleaned = nip.validate(value)
    except StdnumError:
        cleaned = None
    if cleaned is None or not nip_accepted_by_ksef(cleaned):
        return [checks.Error(
            f"SELLER_NIP {value!r} is not a NIP that KSeF accepts (10 digits with a valid check "
            "digit, not starting with 0, second and third digits not both 0).",
            hint="Set SELLER_NIP in the environment to the seller's real NIP.",
            id="invoices.E001",
        )]
    return []
