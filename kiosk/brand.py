"""The brand's words and look on the kiosk, from the campaign and program content sync brought
(terminal/ledger_content.py, docs/campaign-content.md): each prize's name and description in the
shopper's language (English where that language has none), a catalogue prize's and a bonus
wheel outcome's too, the pictures for the attract screen's rotation and the result, and the
theme's colours (a campaign's, else the program's), checked for contrast here again.

No Kivy: screens ask this for words, picture files and colours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from codes.campaign import Campaign
from kiosk.i18n import LANGUAGES, Text, render
from sync.protocol import MIN_CONTRAST, contrast
from terminal.config import CatalogueItem
from terminal.ledger import Ledger
from terminal.ledger_content import (
    Content,
    ProgramWords,
    Theme,
    TierWords,
    content_digests,
    contents,
    picture,
    program_words,
)

log = logging.getLogger(__name__)
Colour = tuple[float, ...]
# the kiosk's own colours a theme does not set: kept where they read on the brand's background
DERIVED = ("muted", "warn", "error", "win")


@dataclass(frozen=True)
class Slide:
    """One picture of the attract screen's rotation, with its words ("" for a brand picture)."""

    picture: str  # a file
    name: str
    description: str
    points: int = 0  # a prize of the points catalogue: its price; 0 for a campaign's prize

    def words(self, lang: str) -> str:
        """What the rotation says under the picture: the name, the description, and for a
        points prize its price ("Cinema ticket", "One 2D show...", "300 points")."""
        price = (
            render(Text.of("loyalty.prize_points", points=self.points), lang) if self.points else ""
        )
        return "\n".join(w for w in (self.name, self.description, price) if w)


def words_in(table: Mapping[str, str], lang: str) -> str:
    """The words in `lang`, English where it has none ("" where neither is there)."""
    return table.get(lang) or table.get("en") or ""


def rgba(colour: str) -> Colour:
    return (*(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)), 1.0)


def _hex(colour: Colour) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in colour[:3])


def weak_pair(theme: Theme) -> str | None:
    """Why a theme is refused: its pair below 4.5:1 in words, or None when it reads well."""
    for name, fore, back in (
        ("text on background", theme.text, theme.background),
        ("button text on primary", theme.button_text, theme.primary),
    ):
        ratio = contrast(fore, back)
        if ratio < MIN_CONTRAST:
            return f"{name} ({fore} on {back}) is {ratio:.2f}:1, below {MIN_CONTRAST}:1"
    return None


class Brand:
    """The campaigns' content as this kiosk shows it, read again whenever sync changed it."""

    def __init__(
        self, ledger: Ledger, campaigns: Callable[[], list[Campaign]],
        catalogue: Callable[[], Sequence[CatalogueItem]] = lambda: (),
    ) -> None:  # fmt: skip
        self.ledger = ledger
        self._campaigns = campaigns
        self._catalogue = catalogue  # this kiosk's points catalogue, as its config has it
        self._digests: tuple[str, ...] | None = None
        self._content: dict[str, Content] = {}
        self._program: ProgramWords | None = None  # the catalogue prizes' words, its theme
        self._theme: Theme | None = None
        self.refused = ""  # why the brand's theme is not shown, in the manager's words
        self.pictures = ledger.path.with_name(ledger.path.name + ".pictures")

    def _fresh(self) -> dict[str, Content]:
        """The content as stored now (one small read; the rest only when it changed)."""
        digests = content_digests(self.ledger)
        if digests != self._digests:
            self._digests = digests
            self._content = {c.campaign: c for c in contents(self.ledger)}
            self._program = program_words(self.ledger)
            self._choose_theme()
        return self._content

    def _choose_theme(self) -> None:
        """The first campaign's theme (by id) that reads well, else the program's: a campaign's
        own look wins over its program's. A refused one is logged once and named on the
        manager's screen, and the kiosk keeps its own look."""
        self._theme, refusals = None, []
        themes = [(c.campaign, c.theme) for c in self._content.values()]
        themes.append(("program", self._program.theme if self._program else None))
        for whose, theme in themes:
            if theme is None:
                continue
            why = weak_pair(theme)
            if why is None:
                self._theme = theme
                break
            refusals.append(f"{whose}: {why}")
            log.warning("theme of %s refused, default look kept: %s", whose, why)
        self.refused = "; ".join(refusals) if self._theme is None else ""

    # -- words -------------------------------------------------------------------------------

    def campaign_name(self, lang: str) -> str:
        """Every campaign's name in `lang` (its file's name, or its id, where it has no content)."""
        content = self._fresh()
        names = []
        for campaign in self._campaigns():
            own = content.get(campaign.id)
            names.append((own and words_in(own.name, lang)) or campaign.name or campaign.id)
        return " · ".join(names)

    def prize(self, campaign: str | None, tier: str | None, lang: str) -> tuple[str, str] | None:
        """A tier's name and description in `lang`; None when the brand gave no name for it."""
        own = self._fresh().get(campaign or "")
        words = own.tiers.get(tier or "") if own else None
        if words is None or not words.name:
            return None
        return words_in(words.name, lang), words_in(words.description, lang)

    def catalogue_prize(self, prize: str, lang: str) -> tuple[str, str] | None:
        """A catalogue prize's name and description in `lang` (English where that language has
        none); None when the program gave no name for it (the catalogue's own name is shown)."""
        self._fresh()
        words = self._program.prizes.get(prize) if self._program else None
        if words is None or not words.name:
            return None
        return words_in(words.name, lang), words_in(words.description, lang)

    def wheel_outcome(self, campaign: str, label: str) -> TierWords | None:
        """A bonus wheel outcome's name, description (tables of language to words) and picture
        as the campaign's content gives them ([wheel.cap]); None where it names it not."""
        own = self._fresh().get(campaign)
        words = own.wheel.get(label) if own else None
        return words if words is not None and words.name else None

    def catalogue_picture(self, prize: str) -> str:
        """A catalogue prize's picture as a file ("" for none)."""
        self._fresh()
        words = self._program.prizes.get(prize) if self._program else None
        return self.picture_file(words.picture) if words else ""

    def missing(self) -> tuple[Text, ...]:
        """Each text that lacks one of the kiosk's languages (English is shown there)."""
        lines = []
        for content in self._fresh().values():
            items = [*content.tiers.items()]
            items += [(f"wheel.{label}", words) for label, words in content.wheel.items()]
            tables = [("name", content.name)] + [
                (f"{where}.{field}", getattr(words, field))
                for where, words in items
                for field in ("name", "description")
            ]
            for where, table in tables:
                lacking = [lang for lang in LANGUAGES if table and lang not in table]
                if lacking:
                    lines.append(Text.of("manager.text_missing", campaign=content.campaign,
                                         where=where, langs=", ".join(lacking)))  # fmt: skip
        for prize, words in (self._program.prizes if self._program else {}).items():
            for field in ("name", "description"):
                table = getattr(words, field)
                lacking = [lang for lang in LANGUAGES if table and lang not in table]
                if lacking:
                    lines.append(Text.of("manager.prize_text_missing", where=f"{prize}.{field}",
                                         langs=", ".join(lacking)))  # fmt: skip
        return tuple(lines)

    def notes(self) -> tuple[Text, ...]:
        """What the manager's screen says of the content: the theme refused, texts missing."""
        self._fresh()
        refused = (Text.of("manager.theme_refused", why=self.refused),) if self.refused else ()
        return refused + self.missing()

    # -- pictures ----------------------------------------------------------------------------

    def picture_file(self, sha: str) -> str:
        """A stored picture as a file a screen can show ("" for none): written once, by hash."""
        if not sha:
            return ""
        for ext in ("png", "jpg"):
            done = self.pictures / f"{sha}.{ext}"
            if done.is_file():
                return str(done)
        found = picture(self.ledger, sha)
        if found is None:
            return ""
        kind, data = found
        self.pictures.mkdir(parents=True, exist_ok=True)
        target = self.pictures / f"{sha}.{'png' if kind == 'png' else 'jpg'}"
        part = target.with_suffix(".part")
        part.write_bytes(data)
        part.replace(target)  # a screen never reads half a picture
        return str(target)

    def prize_picture(self, campaign: str | None, tier: str | None) -> str:
        own = self._fresh().get(campaign or "")
        words = own.tiers.get(tier or "") if own else None
        return self.picture_file(words.picture) if words else ""

    def slides(self, lang: str) -> list[Slide]:
        """The attract screen's rotation: each campaign's prizes with a picture, then the points
        catalogue's prizes with one (those this kiosk offers, in its catalogue's order), then
        the theme's pictures."""
        shown: list[Slide] = []
        content = self._fresh()
        for campaign in self._campaigns():  # its prizes in its own order, the grandest first
            own = content.get(campaign.id)
            for tier in campaign.tiers if own else ():
                words = own.tiers.get(tier.name) if own else None
                file = self.picture_file(words.picture) if words else ""
                if words and file:
                    shown.append(Slide(file, words_in(words.name, lang),
                                       words_in(words.description, lang)))  # fmt: skip
        program = self._program.prizes if self._program else {}
        for item in self._catalogue() if program else ():
            words = program.get(item.id)
            file = self.picture_file(words.picture) if words else ""
            if words and words.name and file:
                shown.append(Slide(file, words_in(words.name, lang),
                                   words_in(words.description, lang), item.points))  # fmt: skip
        if self._theme is not None:
            shown += [Slide(f, "", "") for f in map(self.picture_file, self._theme.attract) if f]
        return shown

    def logo(self) -> str:
        self._fresh()
        return self.picture_file(self._theme.logo) if self._theme else ""

    # -- colours -----------------------------------------------------------------------------

    def colours(self, base: Mapping[str, Colour]) -> dict[str, Colour]:
        """The kiosk's colours (`base`) with the brand's theme over them, where one is shown."""
        self._fresh()
        theme = self._theme
        if theme is None:
            return dict(base)
        out = dict(base) | {
            "paper": rgba(theme.background), "ink": rgba(theme.text),
            "primary": rgba(theme.primary), "button_text": rgba(theme.button_text),
        }  # fmt: skip
        for name in DERIVED:
            if name in base and contrast(_hex(base[name]), theme.background) < MIN_CONTRAST:
                out[name] = rgba(theme.text)
        if contrast(theme.primary, theme.background) >= MIN_CONTRAST:
            out["win"] = rgba(theme.primary)  # a win in the brand's colour where it reads
        return out
