"""The ledger's SQL has one owner: every statement on a device's ledger is in terminal/ledger*.py
(and the schema's migrations), behind a method with a name; the engine, sync, the till and the
kiosk call those methods."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWNERS = {"terminal/ledger.py", "terminal/ledger_sync.py", "terminal/ledger_vouchers.py",
          "terminal/ledger_file.py", "terminal/schema.py",
          "terminal/ledger_limits.py", "terminal/ledger_lots.py", "terminal/ledger_wheel.py",
          "terminal/ledger_content.py"}  # fmt: skip
# a statement run on a connection, or the text of one
SQL = re.compile(
    r"\.execute(many|script)?\(|\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET"
    r"|DELETE\s+FROM)\b"
)


def test_no_module_but_the_ledger_runs_sql_on_the_ledger() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("terminal", "sync", "pos_plugin", "kiosk")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.relative_to(ROOT).as_posix() not in OWNERS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SQL.search(line)
    ]
    assert found == [], "SQL outside terminal/ledger*.py:\n" + "\n".join(found)
