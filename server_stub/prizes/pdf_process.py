"""A claim's PDF drawn in a process of its own, with a deadline, for the dashboard's pages.

pdfium (prizes/pdf_pages.py) cannot be stopped from within once it draws, and a PDF a stranger
sends can keep it drawing for minutes: a 7 KB file of 100,000 full-page fills took 391 s for
one page, and in the server's own threads every other PDF page, and the threads the dashboard
and the tills share, waited behind it. So the server never draws a PDF itself:

- one drawing process per server process, started at the first PDF and kept for the next; it
  draws one page at a time (pdfium is not thread-safe) and holds no secret of the server's;
- each page (or page count) has DEADLINE_S; past it the drawing process is killed, a new one
  starts at the next request, and the document is answered 422 `pdf_slow` at once from then on
  (remembered by its SHA-256 in this process): its download link is what there is. A document
  that made the drawing process die (a memory limit, a fault in pdfium) is remembered alike;
- at most MAX_WAITING requests wait for the drawing process, each at most WAIT_S; past either,
  503 `pdf_busy` with Retry-After: a burst of page requests holds a few of the server's threads
  for seconds, never all of them for minutes;
- the drawing process has at most MEMORY_BYTES, and ends itself when the server that started it
  is gone or a page runs far past its deadline.

Run as `python -m server_stub.prizes.pdf_process [MEMORY_BYTES]`, it is the drawing process:
frames on stdin
and stdout, each a 4-byte length of a JSON header, a 4-byte length of the bytes that follow,
then both.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import IO, Any

from server_stub.errors import ApiError

DEADLINE_S = 5.0  # a page takes 0.2 to 0.3 s (bench/pdf_render_bench.py); ten times that and more
MAX_WAITING = 16  # a verifier's claim page asks for up to 10 pages of each PDF at once
WAIT_S = 10.0
START_S = 10.0  # a new drawing process's imports, on a loaded machine
MEMORY_BYTES = 1 << 30  # the drawing process's address space: a page is 16 MB drawn at most
REMEMBERED = 1000  # documents refused for good, newest kept
_FRAME = struct.Struct(">II")


class _Late(Exception):
    """The drawing process did not answer within the deadline."""


class _Gone(Exception):
    """The drawing process ended (killed, a memory limit, a fault in pdfium)."""


def _slow() -> ApiError:
    return ApiError(422, "pdf_slow", "This PDF takes too long to draw; download it instead.")


def _broken() -> ApiError:
    return ApiError(422, "pdf_unreadable", "This PDF cannot be drawn; download it instead.")


def _busy() -> ApiError:
    return ApiError(
        503, "pdf_busy", "Other PDF pages are being drawn; open the page again in a few seconds.",
        headers={"Retry-After": "5"},
    )  # fmt: skip


class Drawer:
    """The server process's side: asks its drawing process, within the limits above."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._turn = threading.Lock()  # one conversation with the drawing process at a time
        self._count = threading.Lock()
        self._waiting = 0
        self._refused: OrderedDict[bytes, Callable[[], ApiError]] = OrderedDict()

    def page_count(self, data: bytes) -> int:
        answer, _ = self._ask({"op": "count"}, data)
        return int(answer["pages"])

    def render_png(self, data: bytes, page: int) -> bytes:
        """Page `page` (0 for the first) as pdf_pages.render_png draws it."""
        return self._ask({"op": "page", "page": page}, data)[1]

    def close(self) -> None:
        with self._turn:
            self._stop()

    def _ask(self, header: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
        digest = hashlib.sha256(data).digest()
        with self._count:
            if digest in self._refused:
                raise self._refused[digest]()
            if self._waiting >= MAX_WAITING:
                raise _busy()
            self._waiting += 1
        try:
            if not self._turn.acquire(timeout=WAIT_S):
                raise _busy()
            try:
                with self._count:  # refused while this one waited
                    known = self._refused.get(digest)
                if known is not None:
                    raise known()
                answer, payload = self._exchange(header | {"deadline_s": DEADLINE_S}, data)
            except (_Late, _Gone) as failed:
                self._stop()
                refusal = _slow if isinstance(failed, _Late) else _broken
                with self._count:
                    self._refused[digest] = refusal
                    while len(self._refused) > REMEMBERED:
                        self._refused.popitem(last=False)
                raise refusal() from None
            finally:
                self._turn.release()
        finally:
            with self._count:
                self._waiting -= 1
        if not answer.get("ok"):
            raise ApiError(int(answer["status"]), str(answer["code"]), str(answer["message"]))
        return answer, payload

    def _exchange(self, header: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
        process = self._started()
        deadline = time.monotonic() + DEADLINE_S
        assert process.stdin is not None and process.stdout is not None
        try:
            _write(process.stdin, header, data)
        except OSError:  # it ended between two requests
            raise _Gone from None
        fd = process.stdout.fileno()
        head_size, size = _FRAME.unpack(_read(fd, _FRAME.size, deadline))
        answer: dict[str, Any] = json.loads(_read(fd, head_size, deadline))
        return answer, _read(fd, size, deadline)

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            # the server's environment (a mail password, tokens) is not for a process that
            # reads strangers' files: only where Python finds this package
            path = os.pathsep.join(p for p in sys.path if p)
            env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": path}
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(MEMORY_BYTES)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env, close_fds=True,
            )  # fmt: skip
            try:  # its imports are not the first document's time
                assert self._process.stdout is not None
                _read(self._process.stdout.fileno(), _FRAME.size, time.monotonic() + START_S)
            except (_Late, _Gone):
                self._stop()
                raise _busy() from None
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()


def _write(stream: IO[bytes], header: dict[str, Any], data: bytes) -> None:
    head = json.dumps(header).encode()
    stream.write(_FRAME.pack(len(head), len(data)))
    stream.write(head)
    stream.write(data)
    stream.flush()


def _read(fd: int, size: int, deadline: float) -> bytes:
    """`size` bytes from the drawing process, by the deadline."""
    chunks, left = [], size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise _Late
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise _Gone
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


_drawers: dict[int, Drawer] = {}  # one per process: a server forked into workers makes its own
_made = threading.Lock()


def drawer() -> Drawer:
    with _made:
        found = _drawers.get(os.getpid())
        if found is None:
            found = _drawers[os.getpid()] = Drawer()
            atexit.register(found.close)
        return found


def page_count(data: bytes) -> int:
    """The PDF's pages, counted in the drawing process."""
    return drawer().page_count(data)


def render_png(data: bytes, page: int) -> bytes:
    """Page `page` (0 for the first) drawn as a PNG in the drawing process (see the module)."""
    return drawer().render_png(data, page)


# -- the drawing process ----------------------------------------------------------------------


def _serve(memory: int) -> None:
    """Answer frames on stdin until it closes: each a page drawn or a page count."""
    import resource

    from server_stub.prizes import pdf_pages

    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    frames = os.fdopen(os.dup(1), "wb")  # stdout is for frames only; a stray print goes to stderr
    os.dup2(2, 1)
    frames.write(_FRAME.pack(0, 0))  # ready
    frames.flush()
    asks = sys.stdin.buffer
    busy: list[float] = []  # [deadline] while a page is drawn
    threading.Thread(target=_watch, args=(os.getppid(), busy), daemon=True).start()
    while True:
        sizes = asks.read(_FRAME.size)
        if len(sizes) < _FRAME.size:
            return  # the server closed its end
        head_size, size = _FRAME.unpack(sizes)
        header = json.loads(asks.read(head_size))
        data = asks.read(size)
        busy[:] = [time.monotonic() + 2 * float(header["deadline_s"]) + 5]
        payload = b""
        try:
            if header["op"] == "count":
                answer: dict[str, Any] = {"ok": True, "pages": pdf_pages.page_count(data)}
            else:
                payload = pdf_pages.render_png(data, int(header["page"]))
                answer = {"ok": True}
        except ApiError as refused:
            answer = {"ok": False, "status": refused.status, "code": refused.code,
                      "message": refused.message}  # fmt: skip
        except Exception:  # MemoryError, Pillow's faults: this PDF, not the server
            refusal = _broken()
            answer = {"ok": False, "status": refusal.status, "code": refusal.code,
                      "message": refusal.message}  # fmt: skip
        busy.clear()
        _write(frames, answer, payload)


def _watch(parent: int, busy: list[float]) -> None:
    """End the drawing process when its server is gone, or a page runs far past its deadline
    (the server should have killed it; this is for when it could not)."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent or (busy and time.monotonic() > busy[0]):
            os._exit(0)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        _serve(int(sys.argv[1]) if len(sys.argv) > 1 else MEMORY_BYTES)
