"""Telling a shopper: the SMS gateway behind a small interface (a folder of JSON files, or an
HTTP gateway), the messages sent and their delivery reports (`sms`).

May import catalog, records and below; the shopper's web, the dashboard and admin use it.
"""
