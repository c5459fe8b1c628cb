"""The `instore` command: one entry point, each part's commands loaded only when used."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

# command -> (module with `register(parser)`, one line of help)
PARTS = {
    "codes": (
        "codes.cli",
        "campaigns and codes: create a campaign, mint and print codes, check a code",
    ),
    "terminal": (
        "sync.terminal_commands",
        "this device: redeem and check codes, points, holds, status; works offline",
    ),
    "sync": (
        "sync.cli",
        "this device and the server: sync now, or keep syncing in the background",
    ),
    "pos": (
        "pos_plugin.cli",
        "the cashier's till: console, the bridge a POS program calls, its token, pictures",
    ),
    "kiosk": (
        "kiosk.cli",
        "the shopper's kiosk: scan or type a code, see the reward; the store manager's screen",
    ),
    "server": ("server_stub.serve_cli", "run the central server"),
    "demo": (
        "server_stub.demo.cli",
        "the whole store on this computer, a scripted day or a kiosk window; Ctrl-C stops it",
    ),
    "worker": (
        "server_stub.admin.worker_cli",
        "send the messages to winners (claim news, vouchers) apart from the server",
    ),
    "admin": (
        "server_stub.admin.cli",
        "the central server's database: stores, campaigns, devices, rules, conflicts, reports",
    ),
}

EXIT_USAGE = 2  # 0: all well, 1: a code or operation was refused (each part decides)


class UsageError(Exception):
    """Wrong words on the command line; exit 2 with one line."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one clear line and exit 2, never a wall of text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser(argv: Sequence[str]) -> Parser:
    parser = Parser(
        prog="instore",
        description="instore: offline-first coupon and loyalty campaigns for stores.",
    )
    commands = parser.add_subparsers(dest="part", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    wanted = argv[0] if argv else None  # load only the part asked for: start-up stays quick
    for name, (module, help_text) in PARTS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if wanted in (name, None, "-h", "--help"):
            importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from codes.common.errors import InstoreError

    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    try:
        parser = build_parser(argv)
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # named by the command they were given to, whose --help lists its options
            _deepest(parser, argv).error(f"unrecognized arguments: {' '.join(unknown)}")
        return int(args.run(args))
    except UsageError as exc:
        return _fail("usage", str(exc), as_json, EXIT_USAGE)
    except InstoreError as exc:
        return _fail(exc.code, exc.message, as_json, EXIT_USAGE)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return _fail("os_error", f"{exc.strerror or exc}{where}", as_json, EXIT_USAGE)
    except KeyboardInterrupt:
        return _fail("interrupted", "stopped", as_json, 130)


def _deepest(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.ArgumentParser:
    """The (sub)command the words name: `instore codes mint ...` -> the parser of `codes mint`."""
    for word in argv:
        subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subcommands and word in subcommands[0].choices:
            parser = subcommands[0].choices[word]
    return parser


def _fail(code: str, message: str, as_json: bool, status: int) -> int:
    if as_json:
        print(json.dumps({"error": code, "message": message}), flush=True)
    print(f"instore: {message}", file=sys.stderr, flush=True)
    return status


def help_pages() -> str:
    """Every command's --help, as docs/cli.md holds it (`make docs` writes it; a test checks it)."""
    import os

    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: the same width everywhere
    out = [
        "# Every `instore` command\n",
        "Generated from each command's `--help` by `make docs`; `tests/test_cli_docs.py` fails",
        "when this page and the commands disagree.\n",
    ]

    def walk(parser: argparse.ArgumentParser, words: str) -> None:
        out.append(f"## `{words}`\n\n```text\n{parser.format_help().rstrip()}\n```\n")
        for action in parser._actions:  # argparse keeps its subcommands only here
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, f"{words} {name}")

    walk(build_parser([]), "instore")
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--help-pages"]:
        print(help_pages(), end="")
        sys.exit(0)
    sys.exit(main())
