"""Country groups used by currency (SPEC §7) and VAT rules. ISO 3166-1 alpha-2 codes."""

EU = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split()
)
EEA = EU | {"IS", "LI", "NO"}
