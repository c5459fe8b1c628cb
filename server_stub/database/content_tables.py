"""A campaign's content: the texts, pictures and look shoppers see of it (migration 0017)."""

from __future__ import annotations

from sqlalchemy import Column, Float, String, Table, Text

from server_stub.database.schema import metadata

# one row per campaign that has content: sync.protocol.CampaignContent as JSON, its pictures
# inline (each checked and re-encoded, within the size limits the protocol names)
campaign_content = Table(
    "campaign_content",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated", Float, nullable=False),
)
