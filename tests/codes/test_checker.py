"""check(code): every status a shopper or cashier can meet, decided by the cipher alone."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes.campaign_cipher import CampaignCipher
from codes.checker import CheckStatus, CodeChecker
from codes.crockford import ALPHABET
from tests.conftest import CampaignFactory

Pair = tuple[CampaignCipher, CodeChecker]


# the fixture is only read, so sharing it across examples is safe
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(serial=st.integers(0, 999_999))
def test_every_minted_code_is_valid(issued_campaign: Pair, serial: int) -> None:
    cipher, checker = issued_campaign
    result = checker.check(cipher.encode(serial))
    assert result.status is CheckStatus.VALID
    assert (result.campaign, result.serial) == ("ice-2026", serial)
    assert result.tier == cipher.campaign.tiers[cipher.plan.tier_of(serial)].name


def _symbols(code: str) -> list[str]:
    return [ch for ch in code if ch != "-"]


def test_every_substitution_and_adjacent_swap_is_mistyped(issued_campaign: Pair) -> None:
    cipher, checker = issued_campaign
    for serial in (0, 1, 77, 999_999):
        symbols = _symbols(cipher.encode(serial))
        for pos, original in enumerate(symbols):
            for ch in ALPHABET:
                if ch != original:
                    typo = [*symbols[:pos], ch, *symbols[pos + 1 :]]
                    assert checker.check("".join(typo)).status is CheckStatus.MISTYPED, typo
        for pos in range(len(symbols) - 1):
            if symbols[pos] != symbols[pos + 1]:
                swapped = symbols[:]
                swapped[pos], swapped[pos + 1] = swapped[pos + 1], swapped[pos]
                assert checker.check("".join(swapped)).status is CheckStatus.MISTYPED


def test_a_million_random_code_shaped_strings_are_never_valid(issued_campaign: Pair) -> None:
    _cipher, checker = issued_campaign
    rng = random.Random(20261122)
    statuses: dict[CheckStatus, int] = {}
    for _ in range(1_000_000):
        status = checker.check("HV" + "".join(rng.choices(ALPHABET, k=17))).status
        statuses[status] = statuses.get(status, 0) + 1
    assert CheckStatus.VALID not in statuses
    # the check symbol turns away about 31 in 32; the cipher's redundancy the rest
    assert 0.95 < statuses[CheckStatus.MISTYPED] / 1_000_000 < 0.98
    assert statuses[CheckStatus.INVALID] > 20_000


def test_typed_scanned_and_linked_forms_all_check(issued_campaign: Pair) -> None:
    cipher, checker = issued_campaign
    code = cipher.encode(4242)
    for form in (
        code.lower(),
        code.replace("-", " "),
        code.replace("0", "O").replace("1", "l"),
        f"https://win.example.com/c/{code}",
        f"https://win.example.com/claim?code={code}",
    ):
        result = checker.check(form)
        assert result.valid and result.serial == 4242 and result.code == code


def test_never_issued_serial(make_campaign: CampaignFactory) -> None:
    campaign, _key = make_campaign(issued=100)
    cipher = CampaignCipher.issuer(campaign)
    checker = CodeChecker([cipher])
    assert checker.check(cipher.encode(99)).valid
    result = checker.check(cipher.encode(100))
    assert result.status is CheckStatus.NOT_ISSUED and result.serial == 100


def test_validity_window(make_campaign: CampaignFactory) -> None:
    starts, ends = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC)
    campaign, _key = make_campaign(issued=10, starts_at=starts, ends_at=ends)
    cipher = CampaignCipher.issuer(campaign)
    checker = CodeChecker([cipher])
    code = cipher.encode(3)
    assert (
        checker.check(code, now=datetime(2026, 5, 31, 23, 59, tzinfo=UTC)).status
        is CheckStatus.NOT_STARTED
    )
    assert checker.check(code, now=starts).valid
    assert checker.check(code, now=ends).status is CheckStatus.EXPIRED
    assert "01 Sep 2026" in checker.check(code, now=ends).message


def test_code_of_a_campaign_this_device_does_not_know(make_campaign: CampaignFactory) -> None:
    known, _known_key = make_campaign(issued=10)
    other, _other_key = make_campaign(id="coffee", prefix="CF", issued=10, file="coffee.toml")
    checker = CodeChecker([CampaignCipher.issuer(known)])
    result = checker.check(CampaignCipher.issuer(other).encode(1))
    assert result.status is CheckStatus.UNKNOWN_CAMPAIGN and "CF" in result.message


def test_same_prefix_other_key_is_invalid(make_campaign: CampaignFactory) -> None:
    campaign, _key = make_campaign(issued=10)
    forger = CampaignCipher(campaign, bytes(32), campaign.plan_seed())  # right layout, wrong key
    checker = CodeChecker([CampaignCipher.issuer(campaign)])
    assert checker.check(forger.encode(1)).status is CheckStatus.INVALID


def test_older_key_version_codes_do_not_pass_as_new(make_campaign: CampaignFactory) -> None:
    campaign, key = make_campaign(issued=10)
    v2 = replace(campaign, key_version=2)
    checker = CodeChecker(
        [CampaignCipher(v2, key, campaign.plan_seed())]
    )  # same key bytes, version field differs
    assert checker.check(CampaignCipher.issuer(campaign).encode(1)).status is CheckStatus.INVALID


def test_two_campaigns_side_by_side(make_campaign: CampaignFactory) -> None:
    a, _ka = make_campaign(issued=10)
    b, _kb = make_campaign(id="coffee", prefix="HVC", issued=10, file="coffee.toml")
    ca, cb = CampaignCipher.issuer(a), CampaignCipher.issuer(b)
    checker = CodeChecker([ca, cb])
    assert checker.check(ca.encode(5)).campaign == "ice-2026"
    assert checker.check(cb.encode(5)).campaign == "coffee"


def test_missing_or_extra_character_is_mistyped(issued_campaign: Pair) -> None:
    cipher, checker = issued_campaign
    code = cipher.encode(5)
    short = checker.check(code[:-1])
    assert short.status is CheckStatus.MISTYPED and "16 characters" in short.message
    assert checker.check(code + "7").status is CheckStatus.MISTYPED


def test_garbage_gets_a_reason_never_an_exception(issued_campaign: Pair) -> None:
    _cipher, checker = issued_campaign
    for junk in (
        "",
        " ",
        "A" * 300,
        "x" * 10_000,
        "'; DROP TABLE codes;--",
        "ĦV-ŁŁŁŁ",
        "\x00\x01",
        "HV",
    ):
        result = checker.check(junk)
        assert result.status in (CheckStatus.INVALID, CheckStatus.MISTYPED)
        assert result.message and result.message[0].isupper()


def test_result_serialises_for_json(issued_campaign: Pair) -> None:
    cipher, checker = issued_campaign
    data = checker.check(cipher.encode(1)).to_dict()
    assert data["status"] == "valid" and set(data) >= {"status", "campaign", "serial", "tier"}


def test_a_checker_of_no_campaign_reads_any_code_as_not_ours() -> None:
    """A server or till with no campaign yet answers a typed code in words, not with a fault."""
    checker = CodeChecker()
    assert checker.prefixes == ()
    for typed in ("HV12-3456-7890-ABCD", "0000000000000000", "hello"):
        assert not checker.check(typed).valid
