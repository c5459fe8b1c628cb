"""What the chain is made of: campaigns with their keys and tier plans (`campaign_setup`), stores
(`store_setup`), enrolled devices (`enrollment`), and the rules devices apply offline
(`device_config`, `earn_rules`).

May import the database room only.
"""
