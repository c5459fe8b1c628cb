"""The people who sign in to the dashboard: users, roles and the scope each may see (`users`,
with argon2 passwords), the lock after wrong passwords and its lifting (`lockout`), and their
server-side sessions (`sessions`).

May import the limits and database rooms.
"""
