"""A shopper's phone number, read for the store's country and kept in one form (E.164)."""

from __future__ import annotations

import phonenumbers

MAX_TYPED = 16  # the longest number plus its +


def phone_number(typed: str, country: str) -> str | None:
    """`+919876543210` for "98765 43210" typed in India; None when it is not a real number."""
    try:
        number = phonenumbers.parse(typed, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def typed(phone: str, key: str) -> str:
    """The phone pad after one key: digits, and a + only first."""
    if (key.isdigit() or (key == "+" and not phone)) and len(phone) < MAX_TYPED:
        return phone + key
    return phone
