"""Telling a shopper: the SMS gateway behind a small interface (a folder of JSON files, or an
HTTP gateway), the messages sent and their delivery reports (`sms`, `delivery`); email over SMTP
(`email`); the worker that sends the outbox of messages to winners which prizes/outbox writes
(`worker`), and the outbox as staff read it (`outbox_reads`). See docs/notifications.md.

May import catalog, records and below; the shopper's web, the dashboard and admin use it.
"""
