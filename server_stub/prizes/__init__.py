"""What a win becomes: voucher pools for digital prizes and the slices devices hold
(`vouchers`), prize claims with their timeline and duplicate flags (`claims`), and the documents
a claim carries, checked and re-encoded (`uploads`) and kept outside any served folder
(`documents`); the messages to winners each step and voucher writes to the outbox, and their
texts in four languages (`outbox`, `messages/`).

May import catalog, records and below; the device API, the shopper's web, the dashboard and
admin use it.
"""
