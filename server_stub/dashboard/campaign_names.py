"""Campaigns by their names for the dashboard's pages: a campaign's id ("demo-lids") is what the
CLI and the files take, its name ("Demo ice-cream lids") what staff recognise, so a page says
both (the name, its id beside it in small)."""

from __future__ import annotations

import json

from sqlalchemy import Connection, Engine, select

from server_stub.accounts.users import Viewer
from server_stub.database.schema import campaigns


def campaign_names(db: Engine | Connection, viewer: Viewer) -> dict[str, str]:
    """The name of each campaign the viewer may see, by its id (its id where its file names
    none): a page's JSON names no campaign of someone else's."""
    query = select(campaigns.c.id, campaigns.c.data)
    if isinstance(db, Engine):
        with db.connect() as conn:
            rows = conn.execute(query).all()
    else:
        rows = db.execute(query).all()
    return {
        row.id: str(json.loads(row.data).get("name") or row.id)
        for row in rows
        if viewer.may_see_campaign(row.id)
    }
