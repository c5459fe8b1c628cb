"""Every `instore` command the guides quote is one the program takes as written.

A command line in a ```sh block is parsed whole by the real parser (its subcommands, options and
their values: what argparse would refuse, the test refuses). A command quoted inline in the text
(`instore admin device enroll --store`) must name commands and options that exist. Nothing is run.
"""

from __future__ import annotations

import argparse
import itertools
import re
import shlex
from pathlib import Path

import pytest

import instore_cli

ROOT = Path(__file__).resolve().parents[1]
# the pages a store or campaign manager follows step by step, and the pages that point to them
PAGES = sorted((ROOT / "docs").glob("*-guide.md")) + [
    ROOT / "docs" / name
    for name in ("architecture.md", "security.md", "privacy.md", "scaling.md", "operations.md")
]
# instore, .venv/bin/instore, /opt/instore/bin/instore: not a folder or a database named instore
PROGRAM = re.compile(r"^(?:\S*/bin/)?instore$")
_STOP = set(";|&<>()$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def command_lines(markdown: str) -> list[list[str]]:
    """The words of each `instore` command in the page's ```sh blocks, one per command."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split, lexer.commenters = True, "#"
            words = list(lexer)
            for start, word in enumerate(words):
                if PROGRAM.match(word) and _starts_a_command(words[:start]):
                    rest = words[start + 1 :]
                    end = next((i for i, w in enumerate(rest) if set(w) <= _STOP), len(rest))
                    found.append([w for w in rest[:end] if w != "..."])  # "and the rest"
    return found


def _starts_a_command(before: list[str]) -> bool:
    """The word after these is a command's name: nothing before it since the last `|`, `;`,
    `&&` or `$(` but variables set for it (`INSTORE_SMS_TOKEN=... instore server`)."""
    since = list(itertools.takewhile(lambda w: not set(w) <= _STOP, reversed(before)))
    return all(_ASSIGNMENT.match(w) for w in since)


def inline_commands(markdown: str) -> list[list[str]]:
    """The words of each `instore ...` quoted inline, outside code blocks."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return [quoted.split()[1:] for quoted in re.findall(r"`(instore [^`]+)`", prose)]


def _check_inline(words: list[str]) -> None:
    """Each command word names a subcommand of the one before; each --option is one of the
    command reached (or of a command on the way, such as admin's --db)."""
    parser, options = instore_cli.build_parser(words), set()
    for word in words:
        options |= set(parser._option_string_actions)
        if word.startswith("-"):
            name = word.split("=")[0]
            assert name in options | set(parser._option_string_actions), (
                f"`instore {' '.join(words)}`: {name} is not an option of this command"
            )
            continue
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction) and word in action.choices:
                parser = action.choices[word]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_in_a_block_parses(page: Path) -> None:
    commands = command_lines(page.read_text(encoding="utf-8"))
    if page.name.endswith("-guide.md"):
        assert len(commands) >= 5, f"{page.name} shows fewer commands than a guide should"
    for words in commands:
        try:
            instore_cli.build_parser(words).parse_args(words)
        except instore_cli.UsageError as e:
            pytest.fail(f"{page.name}: `instore {' '.join(words)}` is refused: {e}")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_quoted_in_the_text_exists(page: Path) -> None:
    for words in inline_commands(page.read_text(encoding="utf-8")):
        try:
            _check_inline(words)
        except instore_cli.UsageError as e:
            pytest.fail(f"{page.name}: `instore {' '.join(words)}`: {e}")


def test_a_mistyped_command_or_option_is_caught() -> None:
    page = "```sh\ninstore admin --db s.db device enrol --store north --name 'Till 2'\n```\n"
    (words,) = command_lines(page)
    assert words[:4] == ["admin", "--db", "s.db", "device"]
    with pytest.raises(instore_cli.UsageError, match="enrol"):
        instore_cli.build_parser(words).parse_args(words)
    with pytest.raises(AssertionError, match="--stor is not an option"):
        _check_inline(["admin", "device", "enroll", "--stor", "north"])
    _check_inline(["admin", "--db", "URL", "device", "enroll", "--store"])
