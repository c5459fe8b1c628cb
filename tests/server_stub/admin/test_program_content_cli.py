"""`instore admin program content`, as the program's manager runs it: each catalogue prize's name,
description and picture per language and the program's look are loaded, and reach the kiosks at
their next sync; a bad file is refused in words, exit 2, with nothing stored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from instore_cli import main as instore
from server_stub.catalog import prize_catalogue
from server_stub.database.content_tables import program_content
from terminal.ledger_content import picture, program_words
from tests.world import World

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "program-content"


def run(capsys: pytest.CaptureFixture[str], world: World, *args: str) -> tuple[int, str, str]:
    try:
        code = instore(["admin", "--db", world.url, "program", "content", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def catalogue(world: World) -> None:
    prize_catalogue.put_item(world.engine, "cinema-ticket", "Cinema ticket", 300)
    prize_catalogue.put_item(world.engine, "mug", "Mug", 100, store_id="s2")  # one store's own


def stored(world: World) -> list[str]:
    with world.engine.connect() as conn:
        return list(conn.execute(select(program_content.c.data)).scalars())


def program_folder(tmp_path: Path) -> Path:
    """The example program's files, copied to be changed."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "program"))


def test_the_example_file_loads_and_reaches_a_device_at_its_next_sync(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.setup()
    catalogue(world)
    early = world.device("s1", "kiosk-early")  # enrolled before: gets it by pull
    code, out, err = run(capsys, world, "--file", str(EXAMPLE / "content.toml"))
    assert code == 0, err
    assert out.startswith(
        "program content: texts in en, hi, kk, ru for 2 prize(s), 3 picture(s)"
    ), out
    assert "a theme" in out and "missing" not in out
    assert program_words(early.ledger) is None
    early.sync()
    late = world.device("s2", "kiosk-late")  # enrolled after: gets it with its config
    for device in (early, late):
        held = program_words(device.ledger)
        assert held is not None
        assert held.prizes["cinema-ticket"].name["hi"] == "सिनेमा टिकट"
        assert held.prizes["mug"].description["ru"].startswith("Кружка 350")
        assert held.theme is not None and held.theme.primary == "#00606b"
        kind, data = picture(device.ledger, held.prizes["mug"].picture) or ("", b"")
        assert kind == "png" and data.startswith(b"\x89PNG")
    # loading again without the mug's picture: the device forgets it at its next sync
    first = program_words(early.ledger)
    assert first is not None
    mug, ticket = first.prizes["mug"].picture, first.prizes["cinema-ticket"].picture
    folder = program_folder(tmp_path)
    text = (folder / "content.toml").read_text()
    (folder / "content.toml").write_text(text.replace('picture = "mug.png"\n', ""))
    code, out, _ = run(capsys, world, "--file", str(folder / "content.toml"), "--json")
    assert code == 0 and json.loads(out)["pictures"] == 2
    early.sync()
    assert picture(early.ledger, mug) is None
    assert picture(early.ledger, ticket) is not None


def test_missing_languages_are_listed(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world.setup()
    catalogue(world)
    folder = program_folder(tmp_path)
    (folder / "content.toml").write_text(
        '[prizes.mug]\nname = { en = "Coffee mug", hi = "कॉफ़ी मग" }\n'
        'description = { en = "A 350 ml mug" }\n'
    )
    code, out, _ = run(capsys, world, "--file", str(folder / "content.toml"), "--json")
    assert code == 0
    answer = json.loads(out)
    assert answer["missing"] == ["prizes.mug.description: hi"] and answer["theme"] is False


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.replace("[theme]", "[theme"), "content.toml is not valid TOML"),
        (
            lambda t: t.replace("[prizes.mug]", "[prizes.tv]"),
            "unknown prize 'tv': the catalogue's prizes are cinema-ticket, mug",
        ),
        (
            lambda t: t.replace('picture = "mug.png"', 'picture = "noise.png"'),
            "bytes once re-encoded; at most 524,288 (make it smaller, or a JPEG)",
        ),
        (
            lambda t: t.replace('picture = "mug.png"', 'picture = "notes.txt"'),
            "picture notes.txt: is not a PNG or JPEG picture that can be read",
        ),
        (
            lambda t: t.replace('picture = "mug.png"', 'picture = "gone.png"'),
            "[prizes.mug] picture: no picture file gone.png beside the content file",
        ),
        (
            lambda t: t.replace('name = { en = "Coffee mug", ', "name = { "),
            "prizes.mug.name needs English (en)",
        ),
        (
            lambda t: t.replace('text = "#10262a"', 'text = "#9ab0b0"'),
            "[theme] text #9ab0b0 on background #f2fbfb has a contrast of",
        ),
        (lambda t: "[tiers.gold]\n" + t, "unknown key 'tiers'; the keys are prizes, theme"),
    ],
)
def test_a_bad_file_is_refused_in_words_and_nothing_is_stored(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: object, words: str
) -> None:
    world.setup()
    catalogue(world)
    folder = program_folder(tmp_path)
    (folder / "notes.txt").write_text("not a picture")
    Image.effect_noise((1000, 1000), 90).convert("RGB").save(folder / "noise.png")
    path = folder / "content.toml"
    path.write_text(change(path.read_text()))  # type: ignore[operator]
    code, out, err = run(capsys, world, "--file", str(path))
    assert code == 2 and out == "" and words in err and "Traceback" not in err, err
    assert stored(world) == []


def test_a_catalogue_with_no_prizes_yet_says_how_to_add_them(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.setup()
    code, _, err = run(capsys, world, "--file", str(EXAMPLE / "content.toml"))
    assert code == 2 and "the catalogue's prizes are none yet" in err
    assert "instore admin catalogue set" in err
