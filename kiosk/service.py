"""A kiosk that keeps itself running: the systemd unit `instore kiosk --install-service` writes,
and systemd's notify protocol spoken by the app (ready, a watchdog ping, stopping).

The notify protocol is one datagram of `KEY=value` lines to the unix socket systemd names in
`$NOTIFY_SOCKET` (a leading `@` is Linux's abstract namespace), so it is written here rather than
taken from a library. The app pings from Kivy's clock, on the UI thread: a window that hangs
stops pinging, and systemd restarts it as it does a kiosk that crashed.
"""

from __future__ import annotations

import os
import shlex
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path

UNIT_NAME = "instore-kiosk.service"
WATCHDOG_S = 30  # a UI thread silent this long is hung: systemd restarts the kiosk
RESTART_S = 3


def notify(state: str, environ: Mapping[str, str] | None = None) -> bool:
    """Tell systemd `state` ("READY=1", "WATCHDOG=1", "STOPPING=1"); False when not run by
    systemd or the socket cannot be reached (a kiosk never stops over its watchdog)."""
    address = (os.environ if environ is None else environ).get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    target = "\0" + address[1:] if address.startswith("@") else address
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), target)
    except OSError:
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (half systemd's WatchdogSec), or None when no watchdog is asked of
    this process."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
        pid = int(env.get("WATCHDOG_PID", str(os.getpid())))
    except ValueError:
        return None
    if usec <= 0 or pid != os.getpid():
        return None
    return usec / 2 / 1_000_000


def default_unit_dir(root: bool | None = None) -> Path:
    """Where systemd looks: the system's units as root, this user's otherwise."""
    if root if root is not None else os.geteuid() == 0:
        return Path("/etc/systemd/system")
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def unit_text(command: Sequence[str], system: bool, user: str = "") -> str:
    """The unit: restarted on failure (a crash, a kill, a hung window) but not after a clean stop,
    never given up on, and watched by the app's pings. `command`: the kiosk's whole command line."""
    target = "graphical.target" if system else "graphical-session.target"
    lines = [
        "# written by `instore kiosk --install-service`; docs/kiosk.md says how to use it",
        "[Unit]",
        "Description=instore kiosk",
        # a system unit starts as a display manager would (not ordered after graphical.target,
        # which waits for what it wants); a user unit goes with the graphical session
        *(
            [
                "After=systemd-user-sessions.service network-online.target",
                "Wants=network-online.target",
            ]
            if system
            else [f"After={target}", f"PartOf={target}"]
        ),
        "StartLimitIntervalSec=0",  # a kiosk on a wall keeps trying
        "",
        "[Service]",
        "Type=notify",
        "NotifyAccess=all",  # the kiosk may run under a compositor such as cage
        f"ExecStart={shlex.join(command)}",
        "Restart=on-failure",
        f"RestartSec={RESTART_S}",
        f"WatchdogSec={WATCHDOG_S}",
        "TimeoutStopSec=20",
        "Environment=KIVY_NO_ARGS=1",
        *([f"User={user}"] if system and user else []),
        "",
        "[Install]",
        f"WantedBy={target}",
        "",
    ]
    return "\n".join(lines)


def install(command: Sequence[str], unit_dir: Path | None = None, user: str = "") -> Path:
    """Write the unit file and return its path. A system unit (as root, or any folder outside the
    user's own) runs as `user` when one is given."""
    user_dir = default_unit_dir(root=False)
    folder = unit_dir if unit_dir is not None else default_unit_dir()
    system = folder.resolve() != user_dir.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / UNIT_NAME
    temporary = path.with_suffix(".tmp")
    temporary.write_text(unit_text(command, system, user), encoding="utf-8")
    temporary.replace(path)
    return path
