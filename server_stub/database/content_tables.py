"""Content shoppers see: a campaign's texts, pictures and look (migration 0017), and the loyalty
program's (0022)."""

from __future__ import annotations

from sqlalchemy import Column, Float, Integer, String, Table, Text

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

# the loyalty program's content (migration 0022), one row (id 1): sync.protocol.ProgramContent as
# JSON, the catalogue prizes' texts and pictures and the program's theme
program_content = Table(
    "program_content",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated", Float, nullable=False),
)
