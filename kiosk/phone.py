"""A shopper's phone number, read for the store's country and kept in one form (E.164)."""

from __future__ import annotations

from collections.abc import Callable

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


class PhonePad:
    """What a phone pad types into a desk: digits, and a + only first."""

    phone: str
    _changed: Callable[[], None]

    def press(self, key: str) -> None:
        if (key.isdigit() or (key == "+" and not self.phone)) and len(self.phone) < MAX_TYPED:
            self.phone += key
            self._changed()

    def delete(self) -> None:
        self.phone = self.phone[:-1]
        self._changed()
