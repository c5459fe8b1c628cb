"""The people who sign in to the dashboard: users, roles and the scope each may see (`users`,
with argon2 passwords and lockout), and their server-side sessions (`sessions`).

May import the database room only.
"""
