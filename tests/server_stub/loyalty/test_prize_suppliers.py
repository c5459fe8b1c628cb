"""A prize's supplier reaches devices by name: the config a device is sent names each prize's
partner as shoppers know it, and a device from before the name existed takes the same config."""

from __future__ import annotations

from pydantic import create_model

from server_stub.catalog import device_config, prize_catalogue
from server_stub.loyalty import partners
from sync.protocol import CatalogueItemConfig, DeviceConfig, Model
from tests.world import World


def test_a_device_is_sent_each_prizes_supplier_by_name(world: World) -> None:
    world.setup(stores=("s1",))
    with world.engine.begin() as conn:
        partners.create(conn, "cinema", "Star Cinema", "redemption", 0.05)
    prize_catalogue.put_item(world.engine, "ticket", "Cinema ticket", 300, "cinema")
    prize_catalogue.put_item(world.engine, "pen", "Pen", 5)  # no supplier named
    till = world.device("s1", "Till 1")
    shown = {i.id: (i.partner, i.partner_name) for i in till.terminal.config.catalogue}
    assert shown == {"ticket": ("cinema", "Star Cinema"), "pen": ("", "")}
    with world.engine.connect() as conn:
        stored = device_config.own_settings(conn, None)["catalogue"]
    assert all(not item.get("partner_name") for item in stored)  # read when sent, never kept


def test_a_device_from_before_takes_the_config_with_supplier_names(world: World) -> None:
    """An old device's protocol model has no partner_name: it validates the new config and
    drops the name (extra fields are ignored), so its catalogue reads as before."""
    world.setup(stores=("s1",))
    with world.engine.begin() as conn:
        partners.create(conn, "cinema", "Star Cinema", "redemption", 0.05)
    prize_catalogue.put_item(world.engine, "ticket", "Cinema ticket", 300, "cinema")
    with world.engine.connect() as conn:
        sent = device_config.config_for_device(conn, "s1").model_dump(mode="json")
    assert sent["catalogue"][0]["partner_name"] == "Star Cinema"
    old_item = create_model("OldItem", __base__=Model, id=(str, ...), name=(str, ...),
                            points=(int, ...), partner=(str, ""))  # fmt: skip
    old_config = create_model("OldConfig", __base__=DeviceConfig, catalogue=(list[old_item], []))  # type: ignore[valid-type]
    kept = old_config.model_validate(sent).model_dump()["catalogue"]
    assert kept == [{"id": "ticket", "name": "Cinema ticket", "points": 300, "partner": "cinema"}]
    assert "partner_name" in CatalogueItemConfig.model_fields  # the new one has it
