"""What the demo says to try once its store is open: a code of each prize on the shopper's phone
page, the password that page texts, the dashboard's sign-ins, and (without a display) how to see
the kiosk's window. Plain text for the terminal; the demo prints it after the sign-ins."""

from __future__ import annotations

from server_stub.demo.setup import TIERS, Demo

PHONE = "+919812345678"  # a mobile number /play/ takes; the scripted day's winner has another


def unused_codes(codes: dict[str, list[str]]) -> dict[str, str]:
    """One code of each prize nobody has used: the scripted day takes codes from the front of
    each prize's list and the kiosk's camera pictures the last, so the one before the last."""
    order = [t.name for t in TIERS]  # the campaign's order: gold, silver, music
    return {t: codes[t][-2] for t in sorted(codes, key=order.index) if len(codes[t]) >= 2}


def things_to_try(demo: Demo, codes: dict[str, list[str]], command: str, window: bool) -> list[str]:
    """The lines to print; `command` is how the demo was started ("make demo" or "instore
    demo"), `window` whether to say how to open the kiosk's window (there is no display)."""
    unused = ", ".join(f"{tier} {code}" for tier, code in unused_codes(codes).items())
    lines = [
        "\nWhat to try now:",
        f"  - On a phone, or a browser window made phone-sized, open {demo.url}/play/ , give a"
        f" mobile number ({PHONE} will do) and type a code from {demo.folder / 'codes.csv'};"
        f" these are unused: {unused}.",
        f"  - The password /play/ texts to that number is on the demo phone page,"
        f" {demo.url}/dashboard/demo-phone (signed in as anyone above).",
        f"  - The dashboard, {demo.url}/dashboard/ : sign in as each person above and see what"
        " their role sees (the conflict, the claim, the settlement).",
    ]
    if window:
        lines.append(
            f"  - The kiosk's window needs a display: on a computer with one, {command} opens the"
            f" North kiosk's window instead of playing this day."
        )
    return lines
