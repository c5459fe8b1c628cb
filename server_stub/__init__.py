"""The central server, in rooms by job; each room's `__init__` says what lives there.

    app.py          the HTTP face: device API, admin API and dashboard routes (they only translate)
    admin/          what staff run: `instore admin`, `instore server`, revoking a device
    dashboard/      the dashboard's pages as data, its routes, templates and script; the lookup
    play/           the shopper's web at /play/: visits, one-time passwords, codes, claim forms
    device_api/     what devices call: push reading, ingest, code claims, points, pull
    prizes/         vouchers and the slices devices hold, prize claims, uploads and documents
    notifications/  the SMS gateway and its delivery reports, SMTP, the outbox's worker
    catalog/        campaigns, stores, enrolled devices and the rules they are given
    records/        what happened: conflicts and their resolution, the feed, counts, reports
    accounts/       the people who sign in: users, roles and scopes, passwords, the lockout, sessions
    limits/         attempt counters shared by every server process; the throttle on wrong tokens
    database/       the tables, opening SQLite or PostgreSQL, bulk writes, migrations

A room imports only rooms listed below it (held by import-linter); `errors`, `settings`,
`client_address`, `metrics`, `security_headers`, `request_layers`, `log_format`,
`header_timeout` and `web_forms` are small modules every room may use, and import no room.
"""
