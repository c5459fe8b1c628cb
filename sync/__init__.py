"""Sync between in-store devices and the central server: wire protocol, client, scheduler."""
