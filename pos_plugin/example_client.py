"""What a POS program does with the bridge, in a few lines: one basket from scan to receipt.

    python -m pos_plugin.example_client --url http://127.0.0.1:8780 --token TOKEN CODE...

Any language works the same way: JSON over HTTP on 127.0.0.1 with the till's bearer token.
"""

from __future__ import annotations

import argparse
from typing import Any

import requests


def checkout(url: str, token: str, codes: list[str], receipt: str, total: float,
             member: str = "") -> dict[str, Any]:  # fmt: skip
    with requests.Session() as pos:
        pos.headers["Authorization"] = f"Bearer {token}"

        def call(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = pos.post(f"{url}{path}", json=body, timeout=5).json()
            return answer

        basket = call("/v1/checkout", {})["checkout_id"]
        for code in codes:
            applied = call(f"/v1/checkout/{basket}/apply", {"code": code})
            print(f"scan {code}: {applied['status']} - {applied['message']}")
        paid = call(
            f"/v1/checkout/{basket}/pay",
            {"receipt_id": receipt, "total": total, **({"member": member} if member else {})},
        )
        print(paid["message"])
        print(paid.get("receipt", ""))
        return paid


def main() -> None:
    parser = argparse.ArgumentParser(description="One basket through the till bridge.")
    parser.add_argument("--url", required=True, help="the bridge, e.g. http://127.0.0.1:8780")
    parser.add_argument("--token", required=True, help="from 'instore pos token --db FILE'")
    parser.add_argument("--receipt", default="R-1")
    parser.add_argument("--total", type=float, default=10.0)
    parser.add_argument("--member", default="")
    parser.add_argument("codes", nargs="+", metavar="CODE")
    args = parser.parse_args()
    checkout(args.url, args.token, args.codes, args.receipt, args.total, args.member)


if __name__ == "__main__":
    main()
