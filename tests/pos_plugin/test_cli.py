"""`instore pos` as a till runs it: real processes, the bridge on loopback, pictures, the token."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from PIL import Image

from codes.qr import qr_image
from tests.live import free_port
from tests.pos_plugin.test_images import camera_frame
from tests.terminal.test_cli import device, instore, made_device

# the fixtures: a ledger made by `instore terminal init` once for the module, and a copy per test
__all__ = ["device", "made_device"]


def test_token_is_kept_and_rotates(device: tuple[Path, list[str]]) -> None:
    cwd, _ = device
    first = instore("pos", "token", "--db", "till.db", "--json", cwd=cwd)
    assert first.returncode == 0, first.stderr
    token = json.loads(first.stdout)["token"]
    assert instore("pos", "token", "--db", "till.db", cwd=cwd).stdout.strip() == token
    rotated = instore("pos", "token", "--db", "till.db", "--rotate", cwd=cwd).stdout.strip()
    assert rotated and rotated != token


@pytest.mark.parametrize("decoder", ["zxing", "pyzbar"])
def test_scan_image_answers_per_picture_in_order(
    device: tuple[Path, list[str]], decoder: str
) -> None:
    cwd, codes = device
    Image.fromarray(camera_frame(codes[3])).save(cwd / "pack.png")
    Image.fromarray(qr_image(codes[4])).save(cwd / "card.jpg", quality=40)
    Image.new("L", (640, 480), 180).save(cwd / "blank.png")
    Image.fromarray(camera_frame("WWW.EXAMPLE.COM")).save(cwd / "other.png")
    done = instore(
        "pos", "scan-image", "--db", "till.db", "--json", "--decoder", decoder,
        "blank.png", "pack.png", "other.png", "card.jpg", "missing.png", cwd=cwd,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # missing.png could not be read: an input mistake
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"image": "blank.png", "code": None, "status": "no_code"},
        {"image": "pack.png", "code": codes[3], "status": "valid"},
        {"image": "other.png", "code": "WWW.EXAMPLE.COM", "status": "invalid"},
        {"image": "card.jpg", "code": codes[4], "status": "valid"},
        {"image": "missing.png", "code": None, "status": "not_readable"},
    ]


def test_scan_image_exits_as_the_readme_promises(device: tuple[Path, list[str]]) -> None:
    cwd, codes = device
    Image.fromarray(qr_image(codes[5])).save(cwd / "good.png")
    Image.fromarray(qr_image(codes[6])).save(cwd / "used.png")
    assert instore("terminal", "redeem", "--db", "till.db", codes[6], cwd=cwd).returncode == 0
    assert instore("pos", "scan-image", "--db", "till.db", "good.png", cwd=cwd).returncode == 0
    used = instore("pos", "scan-image", "--db", "till.db", "used.png", cwd=cwd)
    assert used.returncode == 1 and "already redeemed" in used.stdout
    assert instore("pos", "scan-image", "--db", "till.db", "nowhere.png", cwd=cwd).returncode == 2


def test_pos_serve_is_a_bridge_on_loopback(device: tuple[Path, list[str]]) -> None:
    cwd, codes = device
    token = instore("pos", "token", "--db", "till.db", cwd=cwd).stdout.strip()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "instore_cli", "pos", "serve", "--db", "till.db",
         "--port", str(port), "--cashier", "ann"],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        basket = requests.post(f"{url}/v1/checkout", json={}, headers=auth, timeout=5).json()
        path = f"{url}/v1/checkout/{basket['checkout_id']}"
        assert requests.post(f"{path}/apply", json={"code": codes[0]}, headers=auth, timeout=5).json()["status"] == "held"  # fmt: skip
        paid = requests.post(f"{path}/pay", json={"receipt_id": "R-1", "total": 5}, headers=auth, timeout=5)  # fmt: skip
        assert paid.json()["status"] == "paid"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=20)
    assert process.returncode == 0
    assert "checkout" in out and "1 coupon redeemed" in out  # the log shows the checkout
    status = instore("terminal", "status", "--db", "till.db", "--json", cwd=cwd)
    assert json.loads(status.stdout)["pending"] == 1


def test_console_needs_a_ledger(tmp_path: Path) -> None:
    done = instore("pos", cwd=tmp_path)
    assert done.returncode == 2 and "instore pos --db FILE" in done.stderr
    done = instore("pos", "--db", "none.db", cwd=tmp_path, stdin="")
    assert done.returncode == 2 and "no ledger" in done.stderr


def test_pos_serve_on_a_taken_port_names_it_and_the_option(device: tuple[Path, list[str]]) -> None:
    """A second bridge on the first one's port says which port and how to choose another, and
    exits 2 instead of a traceback."""
    cwd, _ = device
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = instore("pos", "serve", "--db", "till.db", "--port", str(port), cwd=cwd)
    assert done.returncode == 2, done.stderr
    assert f"port {port} on 127.0.0.1 is taken" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr
