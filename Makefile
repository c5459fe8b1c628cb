# instore: `make demo` runs the store, `make test` runs every check. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,server,kiosk,camera
DEMO_DIR := instore-data/demo

DEMO_PORT ?= 8765
DEMO_SERVER := http://127.0.0.1:$(DEMO_PORT)
SERVER_DB := $(DEMO_DIR)/server.db
BRIDGE_PORT ?= 8781
BRIDGE := http://127.0.0.1:$(BRIDGE_PORT)
# start `instore server` in the background for the demo, and wait until it answers; its text
# messages (the shoppers' one-time passwords) land as files in $(DEMO_DIR)/sms
START_SERVER = $(BIN)/instore server --db $(SERVER_DB) --port $(DEMO_PORT) --log-level warning \
	--sms-gateway file://$(abspath $(DEMO_DIR))/sms --public-url $(DEMO_SERVER) & echo $$! > $(DEMO_DIR)/server.pid
WAIT_FOR_SERVER = $(BIN)/python -c "import time, requests; [time.sleep(0.2) for _ in range(100) if not requests.get('$(DEMO_SERVER)/v1/health', timeout=1).ok]" 2>/dev/null || sleep 3
SIM_SEEDS ?= 10000

.PHONY: demo test lint bench soak constraints clean system-deps docs

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "instore needs Python 3.11 or newer"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

# Debian libraries the tests load: libzbar0 for pyzbar (the second QR decoder), libmtdev1 for
# Kivy's touch input (without it Kivy logs a traceback at start); and chromium, the browser the
# dashboard's tests drive. Installed when we may (root with apt-get), else make stops at once
# with the one command to run.
SYSTEM_LIBS := libzbar.so.0:libzbar0 libmtdev.so.1:libmtdev1
SYSTEM_BINS := /usr/bin/chromium:chromium
system-deps:
	@missing=""; for pair in $(SYSTEM_LIBS); do \
	  { /sbin/ldconfig -p 2>/dev/null || ldconfig -p; } | grep -q "$${pair%%:*}" || missing="$$missing $${pair##*:}"; \
	done; \
	for pair in $(SYSTEM_BINS); do [ -x "$${pair%%:*}" ] || missing="$$missing $${pair##*:}"; done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's$$missing (QR decoding, touch input and the browser tests need them)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $$missing >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null; }; \
	else \
	  echo "make test needs Debian's$$missing; run: sudo apt-get install$$missing"; exit 1; \
	fi

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest -n 2 tests

# The simulation over many more seeds than `make test` runs (SIM_SEEDS=...).
soak: $(STAMP)
	INSTORE_SIM_SEEDS=$(SIM_SEEDS) $(BIN)/python -m pytest -n 2 -q tests/sim

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# docs/cli.md: every command's --help (tests/test_cli_docs.py checks it is current).
docs: $(STAMP)
	$(BIN)/python instore_cli.py --help-pages > docs/cli.md

bench: $(STAMP)
	$(BIN)/python -m bench

# A demo campaign with 1,000 printable codes, a few checked as a shopper would, and an offline
# till redeeming them.
demo: $(STAMP)
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/instore codes new-campaign --id demo-lids --prefix HV --name "Demo ice-cream lids" \
		--tiers "gold:5,silver:50,music:*" --capacity 100000 --out $(DEMO_DIR)/campaign.toml
	$(BIN)/instore codes mint $(DEMO_DIR)/campaign.toml --count 1000 \
		--out $(DEMO_DIR)/codes.csv --pdf $(DEMO_DIR)/codes.pdf
	@code=$$(sed -n 2p $(DEMO_DIR)/codes.csv | cut -d, -f1); \
	echo "--- a shopper types $$code in lower case with spaces:"; \
	$(BIN)/instore codes check $(DEMO_DIR)/campaign.toml "$$(echo $$code | tr 'A-Z-' 'a-z ')"; \
	echo "--- one character mistyped:"; \
	$(BIN)/instore codes check $(DEMO_DIR)/campaign.toml "$$(echo $$code | sed 's/.$$/0/;s/00$$/01/')" || true; \
	echo "--- a made-up code whose check symbol happens to fit (only the cipher can refuse it):"; \
	$(BIN)/instore codes check $(DEMO_DIR)/campaign.toml HV-AAAA-BBBB-CCCC-DDDDE || true; \
	echo "--- a code beyond the 1,000 printed:"; \
	$(BIN)/python -c "from codes.demo import unprinted_code; print(unprinted_code('$(DEMO_DIR)/campaign.toml'))" \
		| xargs $(BIN)/instore codes check $(DEMO_DIR)/campaign.toml || true
	@echo "--- printable sheet: $(DEMO_DIR)/codes.pdf, codes: $(DEMO_DIR)/codes.csv"
	@echo; echo "=== an offline till: no server, the cipher and the ledger decide"
	$(BIN)/instore terminal init --db $(DEMO_DIR)/till1.db --campaign $(DEMO_DIR)/campaign.toml \
		--device-name "Till 1" --store demo-store
	@sed -n '2,4p' $(DEMO_DIR)/codes.csv | cut -d, -f1 > $(DEMO_DIR)/basket.txt
	@echo "--- a cashier scans three codes, then the first one again:"
	@sed -n 1p $(DEMO_DIR)/basket.txt >> $(DEMO_DIR)/basket.txt
	$(BIN)/instore terminal redeem --db $(DEMO_DIR)/till1.db --actor ann --from $(DEMO_DIR)/basket.txt || true
	@echo "--- a member earns points for a 125.00 purchase, checks in, spends 15:"
	$(BIN)/instore terminal accrue --db $(DEMO_DIR)/till1.db --member M-1001 --amount 125 --receipt R-1
	$(BIN)/instore terminal checkin --db $(DEMO_DIR)/till1.db --member M-1001
	$(BIN)/instore terminal spend --db $(DEMO_DIR)/till1.db --member M-1001 --points 15 --item "ice-cream cone"
	@echo "--- what the store manager sees:"
	$(BIN)/instore terminal status --db $(DEMO_DIR)/till1.db
	$(BIN)/instore terminal verify --db $(DEMO_DIR)/till1.db
	@echo; echo "=== a chain: the central server, two stores, a till in each"
	$(BIN)/instore admin --db $(SERVER_DB) migrate
	$(BIN)/instore admin --db $(SERVER_DB) campaign create --file $(DEMO_DIR)/campaign.toml --budget 2500
	$(BIN)/instore admin --db $(SERVER_DB) store create --id north --name "North Street"
	$(BIN)/instore admin --db $(SERVER_DB) store create --id south --name "South Mall"
	@$(START_SERVER); \
	$(WAIT_FOR_SERVER)
	@for till in north:till-n south:till-s; do \
	  store=$${till%%:*}; name=$${till##*:}; \
	  token=$$($(BIN)/instore admin --db $(SERVER_DB) device enroll --store $$store --name "$$name" --json \
	    | $(BIN)/python -c "import json, sys; print(json.load(sys.stdin)['token'])"); \
	  $(BIN)/instore terminal init --db $(DEMO_DIR)/$$name.db --server $(DEMO_SERVER) --token $$token; \
	done
	@code=$$(sed -n 20p $(DEMO_DIR)/codes.csv | cut -d, -f1); \
	echo "--- online: a shopper redeems $$code at North; the same code at South is refused at once"; \
	$(BIN)/python -c "import sys; from sync.claimer import ServerClaimer; from sync.cycle import client_for; from terminal.engine import Terminal; from terminal.ledger import Ledger; \
	[print(n, Terminal(l, claimer=ServerClaimer(client_for(l), l)).redeem('$$code').message) for n, l in (('North:', Ledger('$(DEMO_DIR)/till-n.db')), ('South:', Ledger('$(DEMO_DIR)/till-s.db')))]"
	@echo "--- the server goes down (an outage); the same pack is shown at both stores"
	@kill $$(cat $(DEMO_DIR)/server.pid); sleep 1
	@code=$$(sed -n 21p $(DEMO_DIR)/codes.csv | cut -d, -f1); \
	$(BIN)/instore terminal redeem --db $(DEMO_DIR)/till-n.db --actor ann $$code; \
	$(BIN)/instore terminal redeem --db $(DEMO_DIR)/till-s.db --actor bob $$code
	$(BIN)/instore sync now --db $(DEMO_DIR)/till-s.db || true
	@echo "--- the server is back; both tills sync"
	@$(START_SERVER); \
	$(WAIT_FOR_SERVER)
	$(BIN)/instore sync now --db $(DEMO_DIR)/till-n.db
	$(BIN)/instore sync now --db $(DEMO_DIR)/till-s.db
	@echo "--- the helpdesk sees the double redemption, both sides named:"
	$(BIN)/instore admin --db $(SERVER_DB) conflicts
	@echo "--- and the South store manager sees it on the till:"
	$(BIN)/instore terminal status --db $(DEMO_DIR)/till-s.db
	$(BIN)/instore admin --db $(SERVER_DB) report redemptions --by store
	@echo; echo "=== the cashier's till: the bridge a POS program calls, beside the server"
	@$(BIN)/instore pos serve --db $(DEMO_DIR)/till-n.db --port $(BRIDGE_PORT) --cashier ann \
		> $(DEMO_DIR)/bridge.log 2>&1 & echo $$! > $(DEMO_DIR)/bridge.pid; \
	$(BIN)/python -c "import time, requests; [time.sleep(0.2) for _ in range(100) if requests.get('$(BRIDGE)/openapi.json', timeout=1).status_code != 200]" 2>/dev/null || sleep 3
	@echo "--- a shopper's crumpled pack, photographed by the till's camera:"
	@$(BIN)/python -c "from pathlib import Path; from codes.qr import write_png; write_png('$$(sed -n 30p $(DEMO_DIR)/codes.csv | cut -d, -f1)', Path('$(DEMO_DIR)/pack.png'))"
	$(BIN)/instore pos scan-image --db $(DEMO_DIR)/till-n.db $(DEMO_DIR)/pack.png
	@echo "--- the POS program checks out a basket with two codes for member M-1001:"
	@$(BIN)/python -m pos_plugin.example_client --url $(BRIDGE) \
		--token $$($(BIN)/instore pos token --db $(DEMO_DIR)/till-n.db) --receipt R-2001 --total 42.50 \
		--member M-1001 $$(sed -n 30p $(DEMO_DIR)/codes.csv | cut -d, -f1) $$(sed -n 20p $(DEMO_DIR)/codes.csv | cut -d, -f1)
	@echo "--- the bridge's log:"
	@sleep 2; kill $$(cat $(DEMO_DIR)/bridge.pid); sleep 1; cat $(DEMO_DIR)/bridge.log
	@echo; echo "=== the shopper's kiosk at North, online-first against the server"
	@token=$$($(BIN)/instore admin --db $(SERVER_DB) device enroll --store north --name "Kiosk" --token-only); \
	$(BIN)/instore terminal init --db $(DEMO_DIR)/kiosk.db --server $(DEMO_SERVER) --token $$token
	@echo 2468 | $(BIN)/instore kiosk --db $(DEMO_DIR)/kiosk.db --set-pin
	@mkdir -p $(DEMO_DIR)/frames; \
	$(BIN)/python -c "from pathlib import Path; from codes.qr import write_png; write_png('$$(sed -n 40p $(DEMO_DIR)/codes.csv | cut -d, -f1)', Path('$(DEMO_DIR)/frames/pack.png'))"
	@echo "--- the camera is a folder of pictures ($(DEMO_DIR)/frames); manager PIN 2468 (hold the top right corner)"
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  echo "--- close the kiosk's window (or Ctrl-C) to end the demo"; \
	  $(BIN)/instore kiosk --db $(DEMO_DIR)/kiosk.db --frames $(DEMO_DIR)/frames --size 720x1280 || true; \
	else \
	  echo "--- no display here: the kiosk runs headless for 8 seconds and saves a picture of each screen"; \
	  SDL_VIDEODRIVER=offscreen $(BIN)/instore kiosk --db $(DEMO_DIR)/kiosk.db --frames $(DEMO_DIR)/frames \
	    --screenshots $(DEMO_DIR)/kiosk-screens & pid=$$!; sleep 8; kill -INT $$pid; wait $$pid; \
	  ls $(DEMO_DIR)/kiosk-screens; \
	fi
	$(BIN)/instore terminal status --db $(DEMO_DIR)/kiosk.db
	@echo; echo "=== a coalition: points earned at a phone shop, spent at an electronics store"
	$(BIN)/instore admin --db $(SERVER_DB) program set --pending-days 0 --expiry-months 12
	$(BIN)/instore admin --db $(SERVER_DB) partner create --id mobi --name "Mobi Telecom" \
		--role accrual --point-price 0.05
	$(BIN)/instore admin --db $(SERVER_DB) partner create --id fuel --name "Fuel Co" \
		--role both --point-price 0.08
	$(BIN)/instore admin --db $(SERVER_DB) partner create --id volt --name "Volt Electronics" \
		--role redemption --point-price 0.12
	$(BIN)/instore admin --db $(SERVER_DB) store create --id mobi-central --name "Mobi Central" --partner mobi
	$(BIN)/instore admin --db $(SERVER_DB) store create --id fuel-ring-road --name "Fuel Co Ring Road" --partner fuel
	$(BIN)/instore admin --db $(SERVER_DB) store create --id volt-mall --name "Volt at the Mall" --partner volt
	$(BIN)/instore admin --db $(SERVER_DB) member add --phone +77011234567
	@for till in mobi-central:till-mobi fuel-ring-road:till-fuel volt-mall:till-volt; do \
	  store=$${till%%:*}; name=$${till##*:}; \
	  token=$$($(BIN)/instore admin --db $(SERVER_DB) device enroll --store $$store --name "$$name" --token-only); \
	  $(BIN)/instore terminal init --db $(DEMO_DIR)/$$name.db --server $(DEMO_SERVER) --token $$token; \
	done
	@echo "--- at Mobi Central she pays 2,400.00 for a phone plan and gives her phone number:"
	$(BIN)/instore terminal accrue --db $(DEMO_DIR)/till-mobi.db --member +77011234567 --amount 2400 --receipt MOBI-1
	$(BIN)/instore sync now --db $(DEMO_DIR)/till-mobi.db
	@echo "--- she fills her car at Fuel Co for 600.00:"
	$(BIN)/instore terminal accrue --db $(DEMO_DIR)/till-fuel.db --member +77011234567 --amount 600 --receipt FUEL-1
	$(BIN)/instore sync now --db $(DEMO_DIR)/till-fuel.db
	@echo "--- at Volt she takes headphones for 280 points (Volt's till asks the server); the oldest"
	@echo "    points go first: 240 of Mobi's, then 40 of Fuel Co's"
	$(BIN)/instore terminal spend --db $(DEMO_DIR)/till-volt.db --member +77011234567 --points 280 --item headphones
	$(BIN)/instore sync now --db $(DEMO_DIR)/till-volt.db
	$(BIN)/instore terminal balance --db $(DEMO_DIR)/till-volt.db --member +77011234567
	@echo "--- this month's settlement: Mobi and Fuel Co owe Volt for their points spent there, each"
	@echo "    at its own point price"
	$(BIN)/instore admin --db $(SERVER_DB) settlement --period $$(date -u +%Y-%m)
	@echo; echo "=== the central dashboard, one sign-in for each role"
	@for user in admin:ann-admin:admin campaign:cam-manager:campaign_manager store:nora-north:store_manager \
	  help:hal-helpdesk:helpdesk verify:vera-verifier:verifier approve:abe-approver:approver \
	  ship:lou-logistics:logistics partner:vic-volt:partner; do \
	  name=$${user#*:}; name=$${name%%:*}; role=$${user##*:}; scope=""; \
	  [ $$role = store_manager ] && scope="--store north"; \
	  [ $$role = partner ] && scope="--partner volt"; \
	  [ $$role = campaign_manager ] && scope="--campaign demo-lids"; \
	  echo "demo-$$name-2026" | $(BIN)/instore admin --db $(SERVER_DB) user create --username $$name \
	    --role $$role $$scope --password-stdin; \
	done
	@echo "--- the dashboard is at $(DEMO_SERVER)/dashboard/ while the server runs; sign in as:"
	@echo "    ann-admin / demo-ann-admin-2026 (admin), cam-manager / demo-cam-manager-2026 (campaign manager),"
	@echo "    nora-north / demo-nora-north-2026 (store manager of North), hal-helpdesk / demo-hal-helpdesk-2026 (helpdesk);"
	@echo "    the prize office: vera-verifier / demo-vera-verifier-2026 (checks claims), abe-approver /"
	@echo "    demo-abe-approver-2026 (decides them), lou-logistics / demo-lou-logistics-2026 (ships prizes);"
	@echo "    vic-volt / demo-vic-volt-2026 (Volt Electronics: its own settlement, at /dashboard/settlement)"
	@echo "--- shoppers enter codes on their phone at $(DEMO_SERVER)/play/; each one-time password"
	@echo "    arrives as a file in $(DEMO_DIR)/sms/ (the demo's SMS gateway)"
	@echo "--- to open it again later: $(BIN)/instore server --db $(SERVER_DB) --port $(DEMO_PORT) \\"
	@echo "    --sms-gateway file://$(abspath $(DEMO_DIR))/sms"
	@echo "    (claim news also go by email with --smtp HOST:PORT; without it they wait in the outbox)"
	@kill $$(cat $(DEMO_DIR)/server.pid)

# Re-resolve every pinned dependency (all extras) into constraints.txt.
constraints:
	$(BIN)/python -m pip install -q --dry-run --ignore-installed --report /tmp/instore-report.json \
		-e '.[server,kiosk,camera,dev]'
	$(BIN)/python -c "import json; r = json.load(open('/tmp/instore-report.json')); \
		pins = sorted((i['metadata']['name'].lower(), i['metadata']['version']) for i in r['install'] \
		if i['metadata']['name'].lower() != 'instore'); \
		open('constraints.txt', 'w').write('# Every dependency pinned; regenerate with: make constraints\n' \
		+ ''.join(f'{n}=={v}\n' for n, v in pins))"

clean:
	rm -rf $(VENV) instore-data .mypy_cache .ruff_cache .pytest_cache .hypothesis
