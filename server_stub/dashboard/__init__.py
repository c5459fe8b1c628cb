"""The central dashboard at `/dashboard/`: each page a function returning data (`pages.py`,
`lookup.py`), its routes with sign-in, CSRF and headers (`web.py`), Jinja2 templates and the one
script under `templates/` and `static/`.

May import the domain rooms (device_api, catalog, records, accounts, database); nothing below
imports it.
"""
