"""`instore demo`: the whole product in one command, on SQLite files under ./instore-data/demo/,
serving until Ctrl-C; with `--script` (or without a display) it first plays a store's day.

    cli.py        the command's options, and the run from start to Ctrl-C (thin)
    processes.py  the programs it starts (server, POS bridge, sync schedulers, kiosk): each in its
                  process group, their pids recorded, stopped together; ports checked first
    mailbox.py    the loopback SMTP server whose emails the demo phone shows
    setup.py      the campaign, its codes and PDF, its content (content/: the prizes' words in
                  en, hi, ru and kk, pictures, the brand's look), partners, stores, devices
                  and sign-ins
    shopper.py    a phone's browser and a POS program over loopback HTTP (urllib, no requests)
    day.py        the scripted store day, each step said as a store manager would
    guide.py      what to try once the store is open

May import every room of server_stub, codes and sync.protocol (import-linter). The in-store
devices (terminal, POS bridge, kiosk) are never imported: they run as `instore ...` processes
and are reached over HTTP, as in a store.
"""
