"""The `instore` entry point's answers to wrong words: one line, exit 2, and the help to read
named for the command that was given them."""

from __future__ import annotations

import pytest

from instore_cli import main


@pytest.mark.parametrize(
    ("words", "help_of"),
    [
        (
            ["codes", "new-campaign", "--id", "a", "--prefix", "HV", "--out", "z.toml", "--bogus"],
            "instore codes new-campaign --help",
        ),
        (["admin", "program", "show", "--bogus"], "instore admin program show --help"),
        (["terminal", "status", "--db", "t.db", "--colour"], "instore terminal status --help"),
    ],
)
def test_an_unknown_option_points_to_its_own_commands_help(
    words: list[str], help_of: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(words) == 2
    err = capsys.readouterr().err
    assert f"unrecognized arguments: {words[-1]}" in err
    assert f"(see '{help_of}')" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
