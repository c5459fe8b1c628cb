"""The demo campaign's content file: every prize named and described in the four languages the
kiosk speaks, with the brand's look, and accepted by the same check `instore admin campaign
content` makes."""

from __future__ import annotations

from server_stub.catalog.campaign_content import missing_texts, read_content
from server_stub.demo.setup import CONTENT, TIERS


def test_the_demo_campaigns_content_names_every_prize_in_four_languages() -> None:
    content = read_content(CONTENT, [t.name for t in TIERS])
    assert set(content.tiers) == {"gold", "silver", "music"}
    for words in (content.name, *(t.name for t in content.tiers.values()),
                  *(t.description for t in content.tiers.values())):  # fmt: skip
        assert set(words) == {"en", "hi", "ru", "kk"}
    assert missing_texts(content) == []
    assert content.tiers["silver"].name["ru"] == "Серебряная монета"
    assert all(t.picture for t in content.tiers.values())
    assert content.theme is not None and content.theme.logo
