"""`instore admin campaign content`, as a brand's campaign manager runs it: a good file is loaded
and reaches the kiosks at their next sync; a bad one (broken TOML, a tier the campaign lacks, a
picture that is not one, colours too close to read) is refused in words, with nothing stored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from instore_cli import main as instore
from server_stub.database.content_tables import campaign_content
from server_stub.loyalty.wheel import set_wheel
from terminal.ledger_content import contents, picture
from tests.world import World

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "campaign-content"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = instore(["admin", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def brand_folder(tmp_path: Path) -> Path:
    """The example brand's files, copied to be changed."""
    folder = tmp_path / "brand"
    shutil.copytree(EXAMPLE, folder)
    return folder


def load(
    capsys: pytest.CaptureFixture[str], world: World, file: Path, *extra: str
) -> tuple[int, str, str]:
    return run(capsys, "--db", world.url, "campaign", "content", "--campaign", "ice-2026",
               "--file", str(file), *extra)  # fmt: skip


def with_wheel(world: World) -> None:
    """The world's campaign with the bonus wheel docs/wheel.md sets (the example names its cap)."""
    world.setup()
    set_wheel(world.engine, "ice-2026", "50 points:40,100 points:10,cap:1,nothing:49")


def stored(world: World) -> list[str]:
    with world.engine.connect() as conn:
        return list(conn.execute(select(campaign_content.c.data)).scalars())


def test_the_example_file_loads_and_reaches_a_device_at_its_next_sync(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_wheel(world)
    early = world.device("s1", "kiosk-early")  # enrolled before: gets it by pull
    code, out, err = load(capsys, world, EXAMPLE / "content.toml")
    assert code == 0, err
    assert out.startswith(
        "campaign ice-2026: texts in en, hi, kk, ru for 3 tier(s) and 1 wheel outcome(s), 6 picture(s)"
    )
    assert "a theme" in out and "missing" not in out
    early.sync()
    late = world.device("s2", "kiosk-late")  # enrolled after: gets it with its keys
    for device in (early, late):
        [held] = contents(device.ledger)
        assert held.campaign == "ice-2026" and held.name["kk"] == "Жазғы қақпақтар"
        assert held.tiers["gold"].name["ru"] == "Золотая монета"
        assert held.wheel["cap"].name["hi"] == "गर्मियों की टोपी"  # the wheel's prize, named
        assert picture(device.ledger, held.wheel["cap"].picture) is not None
        assert held.theme is not None and held.theme.primary == "#c8102e"
        kind, data = picture(device.ledger, held.tiers["gold"].picture) or ("", b"")
        assert kind == "png" and data.startswith(b"\x89PNG")
        logo = picture(device.ledger, held.theme.logo)
        assert logo is not None and logo[0] == "png"
        assert picture(device.ledger, held.theme.attract[0]) is not None
    # loading again with fewer pictures: the device forgets the one no longer named
    folder = brand_folder(tmp_path)
    text = (folder / "content.toml").read_text()
    (folder / "content.toml").write_text(text.replace('attract = ["summer.jpg"]', ""))
    assert load(capsys, world, folder / "content.toml", "--json")[0] == 0
    early.sync()
    [held] = contents(early.ledger)
    assert held.theme is not None and held.theme.attract == ()
    count = early.ledger.one("SELECT COUNT(*) AS n FROM pictures")
    assert count is not None and count["n"] == 5  # the tiers three, the logo, the cap


def test_missing_languages_are_listed(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.setup()
    folder = brand_folder(tmp_path)
    (folder / "content.toml").write_text(
        'name = { en = "Summer lids", ru = "Летние крышки" }\n'
        '[tiers.gold]\nname = { en = "Gold coin" }\ndescription = { en = "A coin", ru = "Монета" }\n'
    )
    code, out, _ = load(capsys, world, folder / "content.toml", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["missing"] == ["tiers.gold.name: ru"] and answer["theme"] is False


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.replace("[theme]", "[theme"), "is not valid TOML"),
        (
            lambda t: t.replace("[tiers.music]", "[tiers.platinum]"),
            "unknown tier 'platinum': the campaign's tiers are gold, silver, music",
        ),
        (
            lambda t: t.replace('picture = "gold.png"', 'picture = "notes.txt"'),
            "picture notes.txt: is not a PNG or JPEG picture that can be read",
        ),
        (
            lambda t: t.replace('picture = "gold.png"', 'picture = "wide.png"'),
            "picture wide.png: is 3000x20 pixels; at most 2048 a side",
        ),
        (
            lambda t: t.replace('picture = "gold.png"', 'picture = "art.gif"'),
            "picture art.gif: is GIF; give a PNG or a JPEG",
        ),
        (
            lambda t: t.replace('picture = "gold.png"', 'picture = "noise.png"'),
            "bytes once re-encoded; at most 524,288",
        ),
        (
            lambda t: t.replace('text = "#1a1a1a"', 'text = "#8a8a8a"'),
            "[theme] text #8a8a8a on background #fff8e7 has a contrast of 3.2",
        ),
        (
            lambda t: t.replace('primary = "#c8102e"', 'primary = "#f08080"'),
            "[theme] button_text #ffffff on primary #f08080 has a contrast of 2.59:1; shoppers need 4.5:1 or more (button_text/primary)",
        ),
        (
            lambda t: t.replace('name = { en = "Gold coin", ', "name = { "),
            "tiers.gold.name needs English (en)",
        ),
        (
            lambda t: t.replace("[wheel.cap]", "[wheel.hat]"),
            "unknown wheel outcome 'hat': the wheel's outcomes are '50 points', '100 points',"
            " 'cap', 'nothing'",
        ),
        (
            lambda t: t.replace('name = { en = "Summer cap", ', "name = { "),
            "wheel.cap.name needs English (en)",
        ),
        (
            lambda t: t.replace('picture = "cap.png"', 'picture = "noise.png"'),
            "picture noise.png: is ",
        ),
    ],
)
def test_a_bad_file_is_refused_in_words_and_nothing_is_stored(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: object, words: str
) -> None:
    with_wheel(world)
    folder = brand_folder(tmp_path)
    (folder / "notes.txt").write_text("not a picture")
    Image.new("RGB", (3000, 20), "red").save(folder / "wide.png")
    Image.new("RGB", (40, 40), "red").save(folder / "art.gif")
    Image.effect_noise((1000, 1000), 90).convert("RGB").save(folder / "noise.png")
    path = folder / "content.toml"
    path.write_text(change(path.read_text()))  # type: ignore[operator]
    code, out, err = load(capsys, world, path)
    assert code != 0 and out == "" and words in err and "Traceback" not in err, err
    assert stored(world) == []


def test_a_wheel_outcome_is_named_only_once_the_wheel_is_set(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.setup()  # no wheel yet
    code, out, err = load(capsys, world, EXAMPLE / "content.toml")
    assert code == 2 and out == "" and "[wheel.cap]: the campaign has no bonus wheel yet" in err
    assert stored(world) == []
    set_wheel(world.engine, "ice-2026", "50 points:40,cap:1,nothing:59")
    folder = brand_folder(tmp_path)
    (folder / "content.toml").write_text(
        '[wheel."50 points"]\nname = { en = "Big scoop", ru = "Большой шарик" }\n'
        '[wheel.cap]\nname = { en = "Summer cap", ru = "Летняя кепка" }\n'
        'description = { en = "A red cap" }\n'
    )
    code, out, _ = load(capsys, world, folder / "content.toml", "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["wheel"] == ["50 points", "cap"]
    assert answer["missing"] == ["wheel.cap.description: ru"]


def test_an_unknown_campaign_is_refused(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.setup()
    code, _, err = run(capsys, "--db", world.url, "campaign", "content", "--campaign", "nope",
                       "--file", str(EXAMPLE / "content.toml"))  # fmt: skip
    assert code != 0 and "no campaign nope" in err
