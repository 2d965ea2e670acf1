"""Invoice services, by topic: `profile` (invoice data, VIES), `numbering`, `documents` (issuing,
corrections), `rates` (NBP), `rendering` (PDFs, e-mail, notes)."""
