"""The central server: campaigns, devices, the sync API, conflict detection, reports."""
