"""The official FA(3) schema (version 1-0E), loaded offline, and the checks taken from it.

The schema files in `schema/` are the Ministry of Finance's published XSD (see its README). The
main file imports the shared types from a crd.gov.pl address; `_LocalResolver` maps that address
to the copy in `schema/bazowe/`, so loading never touches the network.
"""

import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
MAIN_XSD = SCHEMA_DIR / "schemat_FA(3)_v1-0E.xsd"
SHARED_TYPES_URL_PREFIX = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"

# FA(3)'s target namespace and form code (Naglowek/KodFormularza).
NAMESPACE = "http://crd.gov.pl/wzor/2025/06/25/13775/"
FORM_SYSTEM_CODE = "FA (3)"
SCHEMA_VERSION = "1-0E"

# TNrNIP in ElementarneTypyDanych_v10-0E.xsd: the first digit is not 0 and the second and third
# are not both 0. A NIP can pass the checksum and still fail this (e.g. 0000000000), and KSeF
# refuses such a document, so the invoice data and the seller's settings check both.
NIP_PATTERN = re.compile(r"[1-9]((\d[1-9])|([1-9]\d))\d{7}")


def nip_accepted_by_ksef(value: str) -> bool:
    """True when `value` (10 digits, already normalised) matches the schema's NIP pattern."""
    return bool(NIP_PATTERN.fullmatch(value or ""))


class _LocalResolver(etree.Resolver):
    def resolve(self, system_url, public_id, context):
        if system_url and system_url.startswith(SHARED_TYPES_URL_PREFIX):
            local = SCHEMA_DIR / "bazowe" / system_url.removeprefix(SHARED_TYPES_URL_PREFIX)
            return self.resolve_filename(str(local), context)
        return None


@lru_cache(maxsize=1)
def fa3_schema() -> etree.XMLSchema:
    """The parsed FA(3) schema (parsed once per process; about 0.3 s)."""
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalResolver())
    document = etree.parse(str(MAIN_XSD), parser)
    return etree.XMLSchema(document)


def validation_errors(xml: bytes) -> list[str]:
    """The schema's complaints about `xml` as "line N: message" strings; empty when it validates.
    Malformed XML gives one complaint (the parser's)."""
    try:
        document = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    schema = fa3_schema()
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
