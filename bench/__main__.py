"""`make bench`: every performance figure of the project beside its target."""

from __future__ import annotations

from bench import (
    attack_bench,
    claims_queue_bench,
    codes_bench,
    dashboard_bench,
    kiosk_bench,
    member_lots_bench,
    outbox_bench,
    pdf_render_bench,
    play_bench,
    play_otp_bench,
    pos_bench,
    prizes_bench,
    settlement_bench,
    sync_bench,
    terminal_bench,
    ussd_bench,
    wheel_bench,
)


def main() -> None:
    print("instore benchmarks (ratios compare with a baseline measured in the same run)")
    codes_bench.run()
    terminal_bench.run()
    member_lots_bench.run()
    sync_bench.run()
    attack_bench.run()
    dashboard_bench.run()
    pos_bench.run()
    kiosk_bench.run()
    prizes_bench.run()
    play_otp_bench.run()
    play_bench.run()
    pdf_render_bench.run()
    claims_queue_bench.run()
    outbox_bench.run()
    settlement_bench.run()
    ussd_bench.run()
    wheel_bench.run()


if __name__ == "__main__":
    main()
