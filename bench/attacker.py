"""Bad credentials for `attack_bench`, from a process of its own: every second a wave of 160,
80 at a time from one address, until standard input closes.

    python -m bench.attacker token|password BASE_URL

A real attacker's CPU is not the server's: here it shares the machine, so the bench starts it
at the lowest priority (nice 19), its threads send from plain http.client connections (kept
open, as a client in a hurry would), and it runs in a process of its own (in the bench's, its
threads would take turns with the measured client for the GIL). Prints `attacking` once the
first wave is on its way, and at the end the answers counted by status and the slowest, as JSON.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlencode

AT_ONCE = 80
WAVE = 160  # each thread sends WAVE // AT_ONCE back to back
EVERY_S = 1.0


class Client:
    """One attacker's connection; for passwords, the sign-in form's CSRF token and cookie."""

    def __init__(self, url: str, mode: str) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port, self.mode = int(port), mode
        self.connect()

    def connect(self) -> None:
        """A new connection (at the start, or after the server closed one)."""
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.cookie = self.csrf = ""
        if self.mode == "password":
            self._form(*self._send("GET", "/dashboard/login", b"", {}))

    def _send(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str, str]:
        self.conn.request(method, path, body, headers)
        answer = self.conn.getresponse()
        return answer.status, answer.getheader("set-cookie") or "", answer.read().decode()

    def _form(self, status: int, cookie: str, page: str) -> None:
        """A page with the sign-in form (the form itself, or a 429 with a fresh one)."""
        if 'name="csrf" value="' in page:
            self.csrf = page.split('name="csrf" value="')[1].split('"')[0]
            self.cookie = cookie.split(";")[0]

    def guess(self) -> int:
        if self.mode == "token":
            return self._send("GET", "/v1/admin/stores", b"", {"Authorization": "Bearer a guess"})[
                0
            ]
        body = urlencode({"username": "ann", "password": "a guess", "csrf": self.csrf}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie}
        status, cookie, page = self._send("POST", "/dashboard/login", body, headers)
        self._form(status, cookie, page)
        return status


def main() -> None:
    mode, url = sys.argv[1], sys.argv[2]
    stop, guard = threading.Event(), threading.Lock()
    answers, slowest = Counter[int](), [0.0]
    waves = threading.Barrier(AT_ONCE + 1)

    def attack() -> None:
        client = Client(url, mode)
        while True:
            waves.wait()
            if stop.is_set():
                return
            for _ in range(WAVE // AT_ONCE):
                began = time.perf_counter()
                try:
                    status = client.guess()
                except (OSError, http.client.HTTPException):
                    status = 0  # the connection was dropped: counted, and a new one made
                    client.connect()
                with guard:
                    answers[status] += 1
                    slowest[0] = max(slowest[0], time.perf_counter() - began)

    threads = [threading.Thread(target=attack) for _ in range(AT_ONCE)]
    for t in threads:
        t.start()

    def until_told() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=until_told).start()
    first = True
    while True:
        began = time.monotonic()
        waves.wait()  # every thread starts its part of the wave
        if first:
            print("attacking", flush=True)
            first = False
        if stop.is_set():
            break
        time.sleep(max(0.0, EVERY_S - (time.monotonic() - began)))
    for t in threads:
        t.join()
    print(json.dumps({"answers": answers, "slowest_s": round(slowest[0], 3)}), flush=True)


if __name__ == "__main__":
    main()
