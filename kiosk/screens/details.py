"""Details before the reward: phone, optional age band, gender and city, and a consent tick."""

from __future__ import annotations

import threading

from kiosk.details_desk import AGE_BANDS, GENDERS
from kiosk.flow import Flow
from kiosk.i18n import Text, render
from kiosk.screens.common import Choice, KioskScreen, phone_pad, say

WORDS = {  # each label's catalogue key, by its id in details.kv
    "title": "details.title", "phone_title": "details.phone", "age_title": "details.age",
    "gender_title": "details.gender", "city_title": "details.city",
    "consent_words": "details.consent", "nothing_kept": "details.nothing_kept",
    "back": "button.start_over", "go": "details.continue",
}  # fmt: skip


class DetailsScreen(KioskScreen):
    def refresh(self, flow: Flow) -> None:
        lang, ids, desk = flow.lang, self.ids, flow.details
        for name, key in WORDS.items():
            say(ids[name], render(Text.of(key), lang), lang)
        say(ids.message, render(desk.message, lang), lang)
        say(ids.phone, desk.phone or " ", "en")
        ids.phone_pad.show(phone_pad(lang), lang)
        answers = desk.answers
        ids.age_band.show(_choices(AGE_BANDS, "age", answers.get("age_band"), lang), lang)
        ids.gender.show(_choices(GENDERS, "gender", answers.get("gender"), lang), lang)
        ids.city.show(_choices(desk.cities, "", answers.get("city"), lang), lang)
        ids.form.show(ids.city_title, bool(desk.cities))
        ids.form.show(ids.city, bool(desk.cities))
        ids.consent.active = desk.consent

    def done(self) -> None:
        threading.Thread(target=self.flow.details_done, name="details", daemon=True).start()


def _choices(
    values: tuple[str, ...], catalogue: str, picked: str | None, lang: str
) -> list[Choice]:
    """A row of choices in the shopper's words (a city as the store names it), the picked one
    marked."""
    return [
        Choice(v, render(Text.of(f"{catalogue}.{v}"), lang) if catalogue else v, v == picked)
        for v in values
    ]
