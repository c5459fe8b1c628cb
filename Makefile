# instore: `make demo` runs the store, `make test` runs every check. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,server,kiosk,camera
DEMO_DIR := instore-data/demo

# make demo DEMO_PORT=9000 BRIDGE_PORT=9001 when those are taken; DEMO_OPTIONS="--script" plays
# the day even with a display, "--script --exit" stops at its end
DEMO_PORT ?= 8765
BRIDGE_PORT ?= 8781
DEMO_OPTIONS ?=
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

# docs/cli.md: every command's --help; docs/architecture.md's diagrams, from
# docs/architecture.toml and pyproject.toml's import contracts (tests/test_cli_docs.py and
# tests/test_architecture_docs.py check both are current).
docs: $(STAMP)
	$(BIN)/python instore_cli.py --help-pages > docs/cli.md
	$(BIN)/python -m tests.architecture_diagram

bench: $(STAMP)
	$(BIN)/python -m bench

# The whole store on this computer (`instore demo`): the server with its dashboard, a demo
# campaign, two stores with a kiosk and a till each, the POS bridge and a demo phone. Without a
# display it plays a scripted store day first; it serves until Ctrl-C, which stops everything.
demo: $(STAMP)
	$(BIN)/instore demo --dir $(DEMO_DIR) --port $(DEMO_PORT) --bridge-port $(BRIDGE_PORT) $(DEMO_OPTIONS)

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
