"""A shopper's phone number as typed, read for a region and kept in one form (E.164), and what
the one-time passwords' limits need from it: its country and its prefix."""

from __future__ import annotations

import phonenumbers

from server_stub.errors import ApiError

MAX_TYPED = 40  # the longest number with spaces, dashes and brackets; longer is not a number
# text messages reach these; a landline, a toll-free or a premium-rate number cannot take one
# (and premium-rate numbers are what SMS pumping is paid through)
_TEXTABLE = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
PREFIX_HIDES = 4  # a number's prefix: the number without its last four digits


def normalise_phone(text: str, region: str = "IN") -> str:
    """`+919876543210` for "98765 43210" typed in India (digits in any script, a leading +, 0 or
    the country code all understood); ApiError 422 `bad_phone` when it is no mobile number."""
    number = _parse(text, region)
    if number is None or not phonenumbers.is_valid_number(number):
        raise ApiError(
            422, "bad_phone",
            "that is not a phone number we know; check the digits, and start with + and the"
            " country code if the number is from another country",
        )  # fmt: skip
    if phonenumbers.number_type(number) not in _TEXTABLE:
        raise ApiError(
            422, "bad_phone",
            "that number cannot receive text messages; give a mobile phone number",
        )  # fmt: skip
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def region_of(phone: str) -> str:
    """The ISO region of an E.164 number ("IN"); "" when it belongs to none."""
    number = _parse(phone, "ZZ")
    if number is None:
        return ""
    region = phonenumbers.region_code_for_number(number)
    return "" if region in (None, "ZZ", "001") else str(region)


def prefix_of(phone: str) -> str:
    """The number without its last four digits: "+91987654" for +919876543210. Numbers bought
    for SMS pumping come in blocks that differ only there."""
    return phone[:-PREFIX_HIDES]


def masked(phone: str) -> str:
    """The number for a log line: its prefix, the rest hidden."""
    return prefix_of(phone) + "*" * PREFIX_HIDES


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    if len(text) > MAX_TYPED:
        return None
    try:
        return phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None
