"""The coalition: the program's rules, partners and their earn rules, members by phone and card,
points as lots (pending, open, expiring) and what consumed them, limits, settlement between
partners and the finance report. Plain functions over a connection; the device API, the admin
CLI, the dashboard, USSD and the member's page call them. May import phones, prizes,
notifications, catalog, records, accounts, limits and database; nothing of the rooms above."""
