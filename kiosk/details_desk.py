"""Details a campaign asks for before its reward: phone, and optionally age band, gender, city.

Nothing is kept without the consent tick, which starts unticked. With it, the answers travel with
the redemption (its context), where the server's demographic reports group by them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.i18n import Text
from kiosk.phone import PhonePad, phone_number

AGE_BANDS = ("under_18", "18_24", "25_34", "35_49", "50_plus")
GENDERS = ("female", "male", "other", "not_said")


class DetailsDesk(PhonePad):
    def __init__(self, country: str, cities: tuple[str, ...], changed: Callable[[], None]) -> None:
        self.country = country
        self.cities = cities
        self._changed = changed
        self.start("")

    def start(self, code: str) -> None:
        self.code = code  # the code waiting for these answers
        self.phone = ""
        self.answers: dict[str, str] = {}
        self.consent = False
        self.message: Text | None = None

    def choose(self, field: str, value: str) -> None:
        """Pick an age band, gender or city; picking it again takes it back."""
        allowed = {"age_band": AGE_BANDS, "gender": GENDERS, "city": self.cities}.get(field, ())
        if value not in allowed:
            return
        if self.answers.get(field) == value:
            del self.answers[field]
        else:
            self.answers[field] = value
        self._changed()

    def toggle_consent(self) -> None:
        self.consent = not self.consent
        self._changed()

    def context(self) -> dict[str, Any] | None:
        """What goes with the redemption, or None when the phone number is not a real one."""
        if not self.consent:
            return {}  # nothing typed here is kept
        number = phone_number(self.phone, self.country)
        if number is None:
            self.message = Text.of("details.bad_phone")
            self._changed()
            return None
        return {"consent": True, "member": number, "phone": number, **self.answers}
