# instore: `make demo` runs the store, `make test` runs every check. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,server
DEMO_DIR := instore-data/demo

.PHONY: demo test lint bench constraints clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "instore needs Python 3.11 or newer"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[$(EXTRAS)]'
	touch $(STAMP)

test: $(STAMP) lint
	$(BIN)/python -m pytest -n 2 tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

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
