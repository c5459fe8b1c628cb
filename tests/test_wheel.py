"""The wheel carries every file an installed store opens, so `pip install .` gives a working store.

What to look for is read from the checkout, not from a list: a screen, template, migration or
catalogue added tomorrow is looked for the day it is added. `tests/wheel_smoke.py` (run by CI)
installs the wheel and runs the store from it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

import pytest

from tests.wheel_build import ROOT, build_wheel

PACKAGES = ("codes", "terminal", "sync", "server_stub", "pos_plugin", "kiosk")

# the files that are not Python and are opened by path, by what they are; kiosk/assets is the
# link to the top-level assets/ folder, and the path inside the wheel is the same
OPENED = {
    "the kiosk's screens": ["kiosk/screens/*.kv"],
    "the kiosk's catalogues": ["kiosk/assets/i18n/*.json"],
    "the kiosk's fonts and their licence": [
        "kiosk/assets/fonts/*.ttf",
        "kiosk/assets/fonts/OFL.txt",
    ],
    "the kiosk's art": ["kiosk/assets/art/**/*.png"],
    "the kiosk's sounds and their credits": [
        "kiosk/assets/sounds/*.wav",
        "kiosk/assets/sounds/CREDITS.txt",
    ],
    "the dashboard's templates": ["server_stub/dashboard/templates/*.html"],
    "the dashboard's static files": ["server_stub/dashboard/static/*"],
    "the texts to winners and the reasons of a decision": [
        "server_stub/prizes/messages/*.json",
        "server_stub/prizes/messages/reasons/*.json",
    ],
    "the words of a member's one-time password at a till": ["server_stub/device_api/texts/*.json"],
    "the demo campaign's content": ["server_stub/demo/content/*"],
    "the migrations": [
        "server_stub/database/migrations/env.py",
        "server_stub/database/migrations/script.py.mako",
        "server_stub/database/migrations/versions/*.py",
    ],
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """The wheel built from this checkout, opened."""
    with zipfile.ZipFile(build_wheel(tmp_path_factory.mktemp("wheel"))) as built:
        yield built


def test_the_wheel_carries_every_file_the_kiosk_and_the_server_open(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    missing = {}
    for what, patterns in OPENED.items():
        files = {p.relative_to(ROOT).as_posix() for pattern in patterns for p in ROOT.glob(pattern)}
        assert files, f"{what}: nothing in the checkout matches {patterns}"
        if files - names:
            missing[what] = sorted(files - names)
    assert not missing, f"not in the wheel (add a package-data pattern): {missing}"


def test_the_wheel_holds_every_module_of_our_packages_and_nothing_else_at_the_top(
    wheel: zipfile.ZipFile,
) -> None:
    names = set(wheel.namelist())
    modules = {
        p.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for p in (ROOT / package).rglob("*.py")
    }
    # the script that drew the default art is a tool, not part of the kiosk
    modules = {m for m in modules if not m.startswith("kiosk/assets/")}
    assert not modules - names, f"modules not in the wheel: {sorted(modules - names)}"
    top = {name.split("/")[0] for name in names}
    (dist_info,) = [name for name in top if name.endswith(".dist-info")]
    assert top == {*PACKAGES, "instore_cli.py", dist_info}  # no `assets`, `tests` or `bench`
    assert "instore = instore_cli:main" in wheel.read(f"{dist_info}/entry_points.txt").decode()
