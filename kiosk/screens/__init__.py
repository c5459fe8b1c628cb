"""The kiosk's screens: one `.kv` (the layout) and one small `.py` (what it shows) each."""
