"""What devices call, without HTTP: `service.py` checks signature, clock and nonce and hands the
work on. A push is read without the database (`push_reading`, `event_check`, `recheck`), then
stored in one transaction (`ingest`, `chain_check`, `code_claims`, `points`); an online claim uses
the same `code_claims`, guarded by `claim_guard`; `pull` answers what changed since a cursor.

May import catalog, records, accounts and database; never the dashboard or admin.
"""
