"""Documents: pro-formas, VAT invoices and corrective invoices (SPEC §7) — the public names of
the modules that issue them, for the callers that import them from here:

- `issuing`: the lines (`LineInput`), the frozen party snapshots and the one issuing path
  (`document_issue`: number under a lock, snapshots, totals per VAT rate, PDF queued on commit);
- `order_documents`: the pro-forma and the VAT invoice of an order (`order_lines`);
- `corrections`: corrective invoices, of amounts and of the buyer data;
- `waiting`: documents waiting for their NBP rate, issued once it is known.
"""

from .corrections import (
    BUYER_DATA_CORRECTION_REASON,
    correction_issue,
    correction_issue_buyer_data,
    correction_issue_refund,
)
from .issuing import (
    AppliedRate,
    LineInput,
    buyer_snapshot,
    buyer_treatment,
    document_issue,
    ordering_party_snapshot,
    seller_snapshot,
)
from .order_documents import invoice_issue_for_order, order_lines, proforma_issue_for_order
from .waiting import WAITING_BATCH, documents_issue_waiting

__all__ = [
    "BUYER_DATA_CORRECTION_REASON",
    "WAITING_BATCH",
    "AppliedRate",
    "LineInput",
    "buyer_snapshot",
    "buyer_treatment",
    "correction_issue",
    "correction_issue_buyer_data",
    "correction_issue_refund",
    "document_issue",
    "documents_issue_waiting",
    "invoice_issue_for_order",
    "order_lines",
    "ordering_party_snapshot",
    "proforma_issue_for_order",
    "seller_snapshot",
]
