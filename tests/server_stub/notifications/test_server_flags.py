"""`instore server --sms-gateway URL --public-url URL --documents-dir DIR`: said in the help for
a store manager, checked at start (a URL no gateway answers to stops the server with exit 2),
and a server with no gateway says once that it cannot send one-time passwords."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from server_stub.notifications.sms import TOKEN_VARIABLE
from tests.live import ServerProcess

ROOT = Path(__file__).resolve().parents[3]


def _instore(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "instore_cli", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


def test_the_help_tells_a_store_manager_what_each_gateway_does() -> None:
    done = _instore("server", "--help")
    assert done.returncode == 0, done.stderr
    words = " ".join(done.stdout.split())
    assert "--sms-gateway URL" in words and "file:///DIR" in words and "DIR/<id>.json" in words
    assert "$INSTORE_SMS_TOKEN" in words and "https://" in words
    assert "--public-url URL" in words and "--documents-dir DIR" in words
    assert "no web server serves" in words


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--sms-gateway", "smtp://mail.example.com", "is not an SMS gateway this server knows"),
        ("--sms-gateway", "file://sms", "three slashes"),
        ("--public-url", "play.example.com", "is not an address shoppers can open"),
    ],
)
def test_a_bad_address_stops_the_server_before_it_starts(
    flag: str, value: str, words: str, tmp_path: Path
) -> None:
    done = _instore("server", "--db", str(tmp_path / "server.db"), flag, value)
    assert done.returncode == 2
    assert words in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "server.db").exists()  # refused before anything was made


def test_a_server_without_a_gateway_says_once_that_it_cannot_send_one_time_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    quiet = ServerProcess(str(tmp_path / "server.db"), tmp_path, args=["--log-level", "warning"])
    quiet.start()
    quiet.stop()
    said = quiet.output()
    assert said.count("WARNING") == 1, said
    assert "one-time passwords cannot be sent" in said

    told = ServerProcess(
        str(tmp_path / "other.db"), tmp_path,
        args=["--sms-gateway", f"file://{tmp_path / 'sms'}", "--log-level", "warning"],
    )  # fmt: skip
    told.start()
    told.stop()
    assert "WARNING" not in told.output()
