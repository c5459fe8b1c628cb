"""The ledger's tables, as sqlite-utils migrations applied when a ledger is opened."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("instore-terminal")


@migrations()
def m001_initial(db: Database) -> None:
    db.executescript(
        """
        -- who this device is; one row
        CREATE TABLE device (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            device_id TEXT NOT NULL,
            name TEXT NOT NULL,
            store_id TEXT NOT NULL DEFAULT '',
            secret BLOB NOT NULL,
            server_url TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        -- typed settings (config from the server, sync cursors, times) as JSON values
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        -- campaigns this device holds keys for; `no` is a small number used in hot tables
        CREATE TABLE campaigns (
            no INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            data TEXT NOT NULL,
            key BLOB NOT NULL
        );
        -- every operation, in order: the hash-chained, signed outbox
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            local_time TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            mac TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            reason TEXT NOT NULL DEFAULT '',
            actor TEXT NOT NULL DEFAULT '',
            member TEXT,
            receipt TEXT,
            day TEXT,
            points INTEGER NOT NULL DEFAULT 0,
            offline INTEGER NOT NULL DEFAULT 0,
            tier TEXT,
            value REAL NOT NULL DEFAULT 0,
            target TEXT,
            created REAL NOT NULL
        );
        CREATE INDEX events_state ON events (state, seq);
        -- offline redemptions not yet synced, per tier: the offline risk budget
        CREATE INDEX events_offline ON events (tier) WHERE offline = 1 AND state = 'pending';
        -- counts by state, kept by triggers so status() is instant with a million pending
        CREATE TABLE state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TRIGGER events_count_insert AFTER INSERT ON events BEGIN
            INSERT INTO state_counts VALUES (NEW.state, 1)
                ON CONFLICT (state) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER events_count_update AFTER UPDATE OF state ON events
            WHEN OLD.state <> NEW.state BEGIN
            UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
            INSERT INTO state_counts VALUES (NEW.state, 1)
                ON CONFLICT (state) DO UPDATE SET n = n + 1;
        END;
        CREATE INDEX events_actor ON events (actor, created);
        CREATE INDEX events_member ON events (member, created);
        CREATE INDEX events_created ON events (created);
        -- the same receipt never earns twice; one check-in per member per day; one void per event
        CREATE UNIQUE INDEX events_one_accrual ON events (receipt) WHERE kind = 'accrue';
        CREATE UNIQUE INDEX events_one_checkin ON events (member, day) WHERE kind = 'checkin';
        CREATE UNIQUE INDEX events_one_void ON events (target) WHERE kind = 'void';
        -- codes this device redeemed and did not void: the key stops a double acceptance,
        -- even between two processes on one ledger
        CREATE TABLE local_claims (
            campaign_no INTEGER NOT NULL,
            serial INTEGER NOT NULL,
            event_id TEXT NOT NULL,
            PRIMARY KEY (campaign_no, serial)
        ) WITHOUT ROWID;
        -- codes the server says were redeemed elsewhere
        CREATE TABLE redeemed (
            campaign_no INTEGER NOT NULL,
            serial INTEGER NOT NULL,
            PRIMARY KEY (campaign_no, serial)
        ) WITHOUT ROWID;
        -- codes held against an open basket
        CREATE TABLE holds (
            hold_id TEXT PRIMARY KEY,
            campaign_no INTEGER NOT NULL,
            serial INTEGER NOT NULL,
            code TEXT NOT NULL,
            basket TEXT NOT NULL,
            actor TEXT NOT NULL DEFAULT '',
            expires REAL NOT NULL
        );
        CREATE UNIQUE INDEX holds_code ON holds (campaign_no, serial);
        -- members' balances as the server last reported them
        CREATE TABLE balances (
            member TEXT PRIMARY KEY,
            balance INTEGER NOT NULL,
            as_of_seq INTEGER NOT NULL DEFAULT 0,
            updated TEXT NOT NULL
        );
        -- what a manager should see: soft limits passed, conflicts, sync trouble
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            message TEXT NOT NULL,
            created TEXT NOT NULL,
            acknowledged INTEGER NOT NULL DEFAULT 0
        );
        """
    )


@migrations()
def m002_receipts(db: Database) -> None:
    # a refund finds a receipt's redemptions and points without reading every event
    db.executescript(
        """
        CREATE INDEX events_receipt ON events (receipt) WHERE receipt IS NOT NULL;
        CREATE INDEX holds_basket ON holds (basket);
        """
    )


@migrations()
def m003_vouchers(db: Database) -> None:
    db.executescript(
        """
        -- the slice of digital prizes' voucher pools this device holds, as sync last sent it;
        -- one handed out keeps the redemption it went with (event_id), is never held again, and
        -- the key refuses a second voucher for one redemption
        CREATE TABLE vouchers (
            campaign TEXT NOT NULL,
            tier TEXT NOT NULL,
            voucher TEXT NOT NULL,
            event_id TEXT UNIQUE,
            PRIMARY KEY (campaign, tier, voucher)
        );
        CREATE INDEX vouchers_held ON vouchers (campaign, tier) WHERE event_id IS NULL;
        -- every (campaign, tier) this device was ever sent vouchers of: a win of such a tier
        -- with none held here says its voucher comes later
        CREATE TABLE voucher_pools (
            campaign TEXT NOT NULL,
            tier TEXT NOT NULL,
            PRIMARY KEY (campaign, tier)
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m004_member_lots(db: Database) -> None:
    db.executescript(
        """
        -- a member's open lots as the server last sent them (its balance is their sum); `lots`
        -- on the balance says the server sent lots at all (0: a server that sends the figure)
        CREATE TABLE member_lots (
            member TEXT NOT NULL,
            lot_id INTEGER NOT NULL,
            partner TEXT NOT NULL DEFAULT '',
            earned REAL NOT NULL,
            pending_until REAL NOT NULL,
            expires_at REAL NOT NULL,
            remaining INTEGER NOT NULL,
            PRIMARY KEY (member, lot_id)
        ) WITHOUT ROWID;
        ALTER TABLE balances ADD COLUMN lots INTEGER NOT NULL DEFAULT 0;
        -- a member's events after the server's word, read at every balance
        CREATE INDEX events_member_seq ON events (member, seq);
        """
    )


@migrations()
def m006_wheel(db: Database) -> None:
    db.executescript(
        """
        -- the bonus wheel's outcomes this device holds (its slice of the server's sequence), as
        -- sync last sent them; one a spin used keeps that spin's event id and is never used again
        CREATE TABLE wheel_held (
            campaign TEXT NOT NULL,
            idx INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            event_id TEXT UNIQUE,
            PRIMARY KEY (campaign, idx)
        );
        CREATE INDEX wheel_unused ON wheel_held (campaign, idx) WHERE event_id IS NULL;
        -- a member's spins of a day
        CREATE INDEX events_spins ON events (member, day) WHERE kind = 'spin';
        """
    )


@migrations()
def m005_redeemed_where(db: Database) -> None:
    db.executescript(
        """
        -- where the server said a code was redeemed: the device's name and its store's id
        -- ('' when it did not say), so a shopper is told "at Counter 2" or "at another store"
        ALTER TABLE redeemed ADD COLUMN device TEXT NOT NULL DEFAULT '';
        ALTER TABLE redeemed ADD COLUMN store TEXT NOT NULL DEFAULT '';
        """
    )


@migrations()
def m007_campaign_content(db: Database) -> None:
    db.executescript(
        """
        -- what shoppers see of a campaign (names, descriptions, theme) as sync last sent it,
        -- JSON (sync.protocol.CampaignContent without its pictures); `digest` tells a kiosk
        -- that it changed
        CREATE TABLE campaign_content (
            campaign TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            digest TEXT NOT NULL
        );
        -- the pictures those name, by their SHA-256 (checked when stored)
        CREATE TABLE pictures (
            sha256 TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            data BLOB NOT NULL
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m008_program_content(db: Database) -> None:
    db.executescript(
        """
        -- what shoppers see of the loyalty program (the catalogue prizes' names, descriptions
        -- and pictures, its theme) as sync last sent it, one row, JSON
        -- (sync.protocol.ProgramContent without its pictures, which go to `pictures`)
        CREATE TABLE program_content (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            data TEXT NOT NULL,
            digest TEXT NOT NULL
        );
        """
    )
