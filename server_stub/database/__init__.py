"""The server's storage: the tables (`schema`, SQLAlchemy Core), opening SQLite or PostgreSQL and
the single-writer queue (`connection`), multi-row writes that work on both (`bulk`), and the
Alembic steps that create and upgrade the tables (`migrations/`).

Imports nothing of the server but `errors`.
"""
