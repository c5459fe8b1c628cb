"""How often something may be tried: attempt counters kept in the database (`counters`), so
every server process counts the same attempts, and holding back an address past its wrong
tokens or passwords over HTTP, with 429 and without holding a thread (`throttle`). Each thing
limited is a `Limit` (wrong admin or enrollment tokens per address, dashboard sign-ins per
account and per address; later one-time passwords, messages per phone, per prefix and per
address, codes typed on the web), and all of them share the one table and the one atomic
statement.

May import the database room only.
"""
