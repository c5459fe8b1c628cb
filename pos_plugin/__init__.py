"""The cashier's checkout integration: Python API, loopback HTTP bridge, scanner console."""
