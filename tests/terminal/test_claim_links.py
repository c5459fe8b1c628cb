"""A claim prize's link at the device: the shoppers' address, the code as printed, the redemption's
event and the device, under a MAC the server checks with the device's secret."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from codes.common.claim_link import PATH, ClaimLink, mac_matches
from terminal.config import TerminalConfig
from terminal.provision import provision
from terminal.results import Status
from tests.terminal.conftest import FakeServer, StoreFactory


def link_of(url: str) -> ClaimLink:
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return ClaimLink(query["code"], query["event"], query["device"], query["mac"])


def test_a_claim_win_carries_its_link_online_and_offline(make_store: StoreFactory) -> None:
    store = make_store(TerminalConfig(play_url="https://play.example.com/"), claim_tiers="gold")
    terminal = store.open()
    gold = store.code(store.serial_of_tier("gold"))
    offline = terminal.redeem(gold.lower().replace("-", " "))  # typed sloppily
    assert offline.status is Status.ACCEPTED_OFFLINE and offline.provisional
    assert offline.claim_url is not None and "Scan the QR code" in offline.message
    assert offline.claim_url.startswith(f"https://play.example.com{PATH}?")
    link = link_of(offline.claim_url)
    device = terminal.device
    assert link == ClaimLink(gold, offline.event_id or "", device.device_id, link.mac)
    assert mac_matches(device.secret, link)
    assert not mac_matches(b"another device's secret", link)
    assert not mac_matches(device.secret, link._replace(event_id="someone-elses-event"))

    online = store.open(FakeServer("accept")).redeem(store.code(store.serial_of_tier("gold", 1)))
    assert online.status is Status.ACCEPTED_ONLINE and online.claim_url is not None
    assert mac_matches(device.secret, link_of(online.claim_url))
    music = terminal.redeem(store.code(store.serial_of_tier("music")))
    assert music.ok and music.claim_url is None  # handed over at once: nothing to claim


def test_the_link_goes_to_the_sync_server_or_nowhere(make_store: StoreFactory) -> None:
    store = make_store(claim_tiers="gold")
    terminal = store.open()
    unlinked = terminal.redeem(store.code(store.serial_of_tier("gold")))
    assert unlinked.ok and unlinked.claim_url is None  # no server known: no QR, the old words
    assert "Scan" not in unlinked.message
    terminal.close()
    provision(store.path, [], secret=b"s" * 32, server_url="http://10.0.0.5:8000")
    synced = store.open().redeem(store.code(store.serial_of_tier("gold", 1)))
    assert (synced.claim_url or "").startswith(f"http://10.0.0.5:8000{PATH}?code=")
    assert mac_matches(b"s" * 32, link_of(synced.claim_url or ""))
