"""What happened, as the server keeps it for people: conflicts and their resolution by one or two
people (`conflicts`, `maker_checker`), the feed of changes devices pull (`feed`), hourly
redemption counts kept by ingest (`redemption_hours`) and the reports read from them (`reports`).

May import accounts and database; the device API, the dashboard and admin write and read it.
"""
