"""What happened, as the server keeps it for people: conflicts and their resolution by one or two
people (`conflicts`, `maker_checker`), the feed of changes devices pull (`feed`), what an event
counts as and the counts ingest keeps of it (`event_counts`), and the reports and each campaign's
cost read from them (`reports`).

May import accounts and database; the device API, the dashboard and admin write and read it.
"""
