"""The offline engine every in-store device runs (ledger, operations, limits, status)."""
