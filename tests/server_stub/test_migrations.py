"""Upgrading a database the first release made: the schema ends as a new database's."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from server_stub.database.connection import _alembic_config, migrate, open_engine


def _event_indexes(url: str) -> dict[str | None, dict[str, object]]:
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn).get_indexes("events")
    finally:
        engine.dispose()
    return {i["name"]: dict(i.get("dialect_options", {})) for i in found}


def test_a_first_release_database_upgrades_to_partial_event_indexes(server_url: str) -> None:
    engine = open_engine(server_url)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0001")
        # as the first release made them: every event in both indexes
        for name, columns in (("events_receipt", "store_id, receipt"), ("events_member", "member")):
            conn.exec_driver_sql(f"DROP INDEX {name}")
            conn.exec_driver_sql(f"CREATE INDEX {name} ON events ({columns})")
        conn.exec_driver_sql("DROP INDEX events_points")
        conn.exec_driver_sql("CREATE INDEX events_kind_received ON events (kind, received)")
        conn.exec_driver_sql("ALTER TABLE campaigns DROP COLUMN plan_seed")  # came with 0004
        conn.exec_driver_sql("ALTER TABLE devices DROP COLUMN forged")  # came with 0004
    assert not any(_event_indexes(server_url)["events_member"].values())
    migrate(engine)
    engine.dispose()
    indexes = _event_indexes(server_url)
    for name, column in (("events_receipt", "receipt"), ("events_member", "member")):
        where = " ".join(str(v) for v in indexes[name].values())
        assert f"{column} IS NOT NULL" in where.replace("(", "").replace(")", ""), (name, where)
    assert "events_kind_received" not in indexes  # redemptions left out of the points index
    where = " ".join(str(v) for v in indexes["events_points"].values())
    assert "redeem" in where, where
    engine = open_engine(server_url)
    with engine.connect() as conn:
        assert "plan_seed" in {c["name"] for c in inspect(conn).get_columns("campaigns")}
        assert "forged" in {c["name"] for c in inspect(conn).get_columns("devices")}
    engine.dispose()
