"""Administration: the `instore admin` and `instore server` commands, and revoking or reviewing a
device (which reaches into the records: claims released, recent events flagged).

May import every room below it; nothing in the server imports it but `app.py`.
"""
