"""The shopper's web at /play/: a visit confirmed by a one-time password (`otp`, `visits`), codes
entered and redeemed through the devices' own claim path (`web_redeem`), the prize claim form and
its status page; pages as data, routes that only translate (`web`), templates and static files.

May import device_api, prizes, notifications and everything below them; only app.py imports it.
"""
