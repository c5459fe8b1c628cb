"""codes/: minting speed and memory, checking speed, sheet size; against raw AES-ECB."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bench.report import Row, print_table
from codes import mint
from codes.campaign import Campaign, parse_tiers
from codes.campaign_cipher import CampaignCipher
from codes.checker import CodeChecker

KEY = bytes(range(32))
CAMPAIGN = Campaign(
    id="bench", prefix="HV", tiers=parse_tiers("gold:10,silver:100000,music:*"), issued=10**9
)

# Runs the CLI in a child and reports the child's own peak memory (bytes) on stderr. VmHWM, not
# ru_maxrss: Linux carries ru_maxrss across exec, so it would include the parent's peak.
_CHILD = (
    "import re, sys, instore_cli; rc = instore_cli.main(sys.argv[1:]);"
    " hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read());"
    " print(int(hwm.group(1)) * 1024, file=sys.stderr); sys.exit(rc)"
)


def aes_blocks_per_second() -> float:
    """Raw AES-256-ECB over 64 MiB: the ceiling for anything that encrypts blocks."""
    data = bytes(64 << 20)
    best = float("inf")
    for _ in range(3):
        enc = Cipher(algorithms.AES(KEY), modes.ECB()).encryptor()
        t = time.perf_counter()
        enc.update(data)
        best = min(best, time.perf_counter() - t)
    return len(data) / 16 / best


def mint_rate(count: int = 5_000_000) -> float:
    cipher = CampaignCipher(CAMPAIGN, KEY)
    t = time.perf_counter()
    made = sum(int(chunk.text.shape[0]) for chunk in mint.mint_chunks(cipher, 0, count))
    return made / (time.perf_counter() - t)


def check_median_us(samples: int = 20_000) -> float:
    cipher = CampaignCipher(CAMPAIGN, KEY)
    checker = CodeChecker([cipher])
    codes = [cipher.encode(s) for s in range(0, samples * 997, 997)]
    times = []
    for code in codes:
        t = time.perf_counter_ns()
        checker.check(code)
        times.append(time.perf_counter_ns() - t)
    return statistics.median(times) / 1000


def cli_mint(workdir: Path, count: int, *extra: str) -> tuple[float, int]:
    """Wall time of a whole `instore codes mint` process, and its peak memory."""
    campaign = workdir / "bench.toml"
    if not campaign.exists():
        subprocess.run(
            [sys.executable, "-m", "instore_cli", "codes", "new-campaign", "--id", "bench",
             "--prefix", "HV", "--out", str(campaign), "--tiers", "gold:10,silver:100000,music:*"],
            check=True, capture_output=True,
        )  # fmt: skip
    args = [
        "codes",
        "mint",
        str(campaign),
        "--count",
        str(count),
        "--out",
        str(workdir / "c.csv"),
        "--force",
    ]  # each run replaces the last one's files
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *args, *extra], capture_output=True, text=True, check=True
    )
    return time.perf_counter() - t, int(done.stderr.strip().splitlines()[-1])


def run() -> None:
    aes = aes_blocks_per_second()
    rows = []
    rate = mint_rate()
    rows.append(Row("mint: finished code strings, one core", f"{rate / 1e6:.2f} M codes/s",
                    ">= 5 M codes/s", rate >= 5e6, f"{rate / aes:.3f} codes per AES block"))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seconds, _ = cli_mint(work, 1_000_000)
        rows.append(Row("`instore codes mint --count 1000000` to CSV", f"{seconds:.2f} s",
                        "<= 2 s", seconds <= 2, f"{1e6 / seconds / aes:.3f} codes per AES block"))  # fmt: skip
        seconds, _ = cli_mint(work, 1_000_000, "--with-tiers")
        rows.append(Row("the same with `--with-tiers` (the brand's copy)", f"{seconds:.2f} s",
                        "<= 2 s", seconds <= 2, f"{1e6 / seconds / aes:.3f} codes per AES block"))  # fmt: skip
        seconds, peak = cli_mint(work, 5_000_000)
        rows.append(Row("mint 5,000,000 codes to CSV: peak memory", f"{peak / 1e6:.0f} MB",
                        "< 500 MB", peak < 500e6, f"{5e6 / seconds / aes:.3f} codes per AES block"))  # fmt: skip
        median = check_median_us()
        rows.append(Row("check one code: median", f"{median:.1f} us", "<= 15 us", median <= 15,
                        f"{median * 1e-6 * aes:.0f} AES blocks of time"))  # fmt: skip
        count = int(os.environ.get("INSTORE_BENCH_PDF_CODES", "200000"))
        seconds, _ = cli_mint(work, count, "--pdf", str(work / "sheet.pdf"))
        size = (work / "sheet.pdf").stat().st_size
        rows.append(Row(f"{count:,}-code PDF run: time", f"{seconds:.1f} s", "report", None,
                        f"{count / seconds:,.0f} codes/s"))  # fmt: skip
        rows.append(Row(f"{count:,}-code PDF run: size", f"{size / 1e6:.1f} MB", "report", None,
                        f"{size / count:.0f} bytes per code"))  # fmt: skip
    print_table("codes/", f"raw AES-256-ECB {aes / 1e6:.1f} M blocks/s on one core", rows)
