"""`instore terminal spend --code` and `accrue --category` as a store manager types them: the
member's code against a real server on loopback (its SMS in the file gateway), and a basket's
categories counted by the earn rules' multipliers. The CLI runs in this process (main()), the
same code a shell runs, without a process start per command."""

from __future__ import annotations

import json

import pytest

import instore_cli
from server_stub.catalog import enrollment
from server_stub.loyalty import members, program
from server_stub.notifications.sms import FileGateway
from terminal.config import Loyalty, TerminalConfig
from tests.live import live_server
from tests.sync.test_member_codes import PHONE, code_for
from tests.terminal.conftest import StoreFactory
from tests.world import World


def _run(capsys: pytest.CaptureFixture[str], *words: str) -> tuple[int, str, str]:
    status = instore_cli.main(list(words))
    out, err = capsys.readouterr()
    return status, out.strip(), err.strip()


def test_spend_takes_the_members_code(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.setup()
    sms = world.tmp / "sms"
    world.service.sms = FileGateway(sms)
    with world.engine.begin() as conn:
        program.set_program(conn, otp_above=500)
        members.register(conn, PHONE, via="centre", now=0.0)
    db = str(world.tmp / "till.db")
    with live_server(world.engine, world.service) as url:
        token = enrollment.enroll_device(world.engine, "s1", "Till A")["token"]
        assert (
            _run(capsys, "terminal", "init", "--db", db, "--server", url, "--token", token)[0] == 0
        )
        earned = _run(capsys, "terminal", "accrue", "--db", db, "--member", PHONE,
                      "--amount", "20000", "--receipt", "R-1")  # fmt: skip
        assert earned[0] == 0, earned
        assert _run(capsys, "sync", "now", "--db", db)[0] == 0
        spend = ("terminal", "spend", "--db", db, "--member", PHONE, "--points", "800",
                 "--item", "tv")  # fmt: skip

        status, out, _ = _run(capsys, *spend)
        assert status == 1
        assert out.startswith("A code was sent to the phone ending 4567")
        assert "run this spend again with --code" in out  # what the manager does next
        right = code_for(sms, PHONE)
        wrong = f"{(int(right) + 1) % 10**6:06d}"

        status, out, _ = _run(capsys, *spend, "--code", wrong, "--json")
        answer = json.loads(out)
        assert status == 1 and answer["status"] == "wrong_code"
        assert "Wrong code, 4 tries left" in answer["message"]

        status, out, _ = _run(capsys, *spend, "--code", right)
        assert status == 0 and out.startswith("800 points spent")

    # the server is gone: such a spend cannot be confirmed here
    status, out, _ = _run(capsys, *spend[:-3], "600", "--item", "radio")
    assert status == 1
    assert out.startswith("This spend needs the member's code; the till is offline.")


def test_spend_refuses_a_code_that_is_not_digits(
    make_store: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store()
    status, _, err = _run(capsys, "terminal", "spend", "--db", str(store.path), "--member",
                          "M-1", "--points", "5", "--item", "pen", "--code", "12ab")  # fmt: skip
    assert status == 2 and "digits" in err and "Traceback" not in err


def test_accrue_counts_the_baskets_categories(
    make_store: StoreFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    fuel_twice = Loyalty(category_multipliers={"fuel": 2.0, "snacks": 0.5})
    db = str(make_store(TerminalConfig(loyalty=fuel_twice)).path)
    accrue = ("terminal", "accrue", "--db", db, "--member", "M-1", "--amount", "100", "--json")

    plain = json.loads(_run(capsys, *accrue, "--receipt", "R-1")[1])
    assert plain["points"] == 10  # 100 at 1 point per 10
    # 60 of fuel counts twice, 20 of snacks half, the other 20 once: 120 + 10 + 20 = 150
    basket = json.loads(_run(capsys, *accrue, "--receipt", "R-2", "--category", "fuel=60",
                             "--category", "snacks=20")[1])  # fmt: skip
    assert basket["status"] == "accepted_offline" and basket["points"] == 15


@pytest.mark.parametrize(
    ("given", "words"),
    [("fuel", "NAME=AMOUNT"), ("fuel=lots", "NAME=AMOUNT"), ("=40", "NAME=AMOUNT"),
     ("fuel=-3", "0 or more")],
)  # fmt: skip
def test_accrue_says_what_is_wrong_with_a_category(
    make_store: StoreFactory, capsys: pytest.CaptureFixture[str], given: str, words: str
) -> None:
    db = str(make_store().path)
    status, _, err = _run(capsys, "terminal", "accrue", "--db", db, "--member", "M-1", "--amount",
                          "100", "--receipt", "R-1", "--category", given)  # fmt: skip
    assert status == 2 and words in err and "Traceback" not in err


def test_spend_and_accrue_help_speak_to_a_store_manager(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        instore_cli.main(["terminal", "spend", "--help"])
    spend = capsys.readouterr().out
    assert "--code DIGITS" in spend and "texted" in spend
    with pytest.raises(SystemExit):
        instore_cli.main(["terminal", "accrue", "--help"])
    accrue = capsys.readouterr().out
    assert "--category NAME=AMOUNT" in accrue and "fuel=40" in accrue
