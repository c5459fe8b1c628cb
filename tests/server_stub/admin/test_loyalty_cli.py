"""`instore admin program|partner|member|catalogue` and `store create --partner`, as a manager
and the contact centre type them: answers in words or JSON, bad input a message and an exit
code, never a traceback."""

from __future__ import annotations

import json

import pytest

from tests.server_stub.admin.admin_shell import Run, admin

# the fixture, imported so pytest finds it here
__all__ = ["admin"]


def test_a_partner_its_store_and_its_rules(admin: Run) -> None:
    code, out, _ = admin("partner", "create", "--id", "fuel-co", "--name", "Fuel Co", "--role",
                         "accrual", "--point-price", "0.10", "--rounding", "nearest",
                         "--multiplier", "fuel=2")  # fmt: skip
    assert code == 0 and "partner fuel-co (Fuel Co) created" in out
    assert admin("store", "create", "--id", "pump-1", "--name", "Ring road",
                 "--partner", "fuel-co")[0] == 0  # fmt: skip
    code, out, _ = admin("partner", "rules", "--id", "fuel-co", "--bonus",
                         "2026-11-27:2026-11-29=3", "--reset", "rounding")  # fmt: skip
    assert code == 0
    code, out, _ = admin("limits", "show", "--store", "pump-1", "--json")
    loyalty = json.loads(out)["loyalty"]
    assert loyalty["rounding"] == "down" and loyalty["category_multipliers"] == {"fuel": 2.0}
    assert loyalty["bonus_periods"] == [
        {"start": "2026-11-27", "end": "2026-11-29", "multiplier": 3.0}
    ]
    code, out, _ = admin("partner", "list", "--json")
    assert [p["id"] for p in json.loads(out)] == ["fuel-co"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("store", "create", "--id", "s9", "--name", "S", "--partner", "nobody"),
         "there is no partner 'nobody'"),
        (("partner", "create", "--id", "x", "--name", "X", "--role", "owner",
          "--point-price", "1"), "invalid choice"),
        (("partner", "create", "--id", "x", "--name", "X", "--role", "both",
          "--point-price", "ten"), "give a sum of money"),
        (("partner", "rules", "--id", "nobody", "--points", "2"), "there is no partner"),
        (("partner", "create", "--id", "x", "--name", "X", "--role", "both", "--point-price",
          "1", "--bonus", "2026-12-31:2026-12-01=2"), "the first day before the last"),
        (("program", "set", "--pending-days", "999"), "0 to 365 days"),
        (("program", "set", "--region", "XX"), "two-letter code"),
        (("member", "add", "--phone", "12"), "not a phone number"),
        (("member", "show", "+77019999999"), "no member has the phone or card"),
        (("catalogue", "set", "--id", "tv", "--name", "TV", "--points", "5", "--partner",
          "zzz"), "there is no partner 'zzz'"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_in_words(admin: Run, args: tuple[str, ...], words: str) -> None:
    code, out, err = admin(*args)
    assert code != 0 and words in err and "Traceback" not in err + out


def test_the_contact_centre_registers_looks_up_and_blocks_a_member(admin: Run) -> None:
    code, out, _ = admin("member", "add", "--phone", "+7 701 123 45 67", "--card", "1234-5678",
                         "--lang", "kk", "--json")  # fmt: skip
    made = json.loads(out)
    assert code == 0 and made["new"] and made["phone"] == "+77011234567"
    code, out, _ = admin("member", "add", "--phone", "87011234567", "--lang", "kk")
    assert code == 0 and "was already registered" in out
    assert admin("member", "block", "12345678", "--reason", "card stolen")[0] == 0
    code, out, _ = admin("member", "show", "8 701 123 45 67", "--region", "KZ")
    assert "BLOCKED: card stolen" in out and "0 points to spend" in out
    admin("member", "unblock", "+77011234567")
    code, out, _ = admin("member", "show", "12345678", "--json")
    assert json.loads(out)["blocked"] is None
    # a program in Kazakhstan: numbers typed without +7 are read as Kazakh, no --region needed
    assert admin("member", "show", "8 701 123 45 67")[0] != 0
    code, out, _ = admin("program", "set", "--region", "kz")
    assert code == 0 and "read as KZ" in out
    code, out, _ = admin("member", "show", "8 701 123 45 67", "--json")
    assert code == 0 and json.loads(out)["phone"] == "+77011234567"


def test_program_and_catalogue(admin: Run) -> None:
    code, out, _ = admin("program", "set", "--pending-days", "7", "--otp-above", "500")
    assert code == 0 and "wait 7 days" in out and "above 500 points" in out
    assert json.loads(admin("program", "show", "--json")[1])["otp_above"] == 500
    admin("partner", "create", "--id", "cinema", "--name", "Star Cinema", "--role",
          "redemption", "--point-price", "0.05")  # fmt: skip
    code, out, _ = admin("catalogue", "set", "--id", "ticket", "--name", "Cinema ticket",
                         "--points", "300", "--partner", "cinema")  # fmt: skip
    assert code == 0
    code, out, _ = admin("catalogue", "list")
    assert "partner=cinema" in out and "partner_name=Star Cinema" in out
