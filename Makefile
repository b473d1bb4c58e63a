# Two commands do all the set-up on a fresh machine (both idempotent):
#   make demo   installs what is missing, then analyzes the bundled clickstream sample
#   make test   installs what is missing, then runs ruff and the whole test suite
# Needs: python3 (>= 3.11) with venv. Installs Graphviz (`dot`) and Chromium with apt-get
# when they are missing (as root, or through sudo).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

CDK_APP := tests/cdk/app
CDK_STAMP := $(CDK_APP)/node_modules/.installed

PEER_VENV  := .venv-peers
PEER_REQS  := benchmarks/peer-requirements.txt
PEER_STAMP := $(PEER_VENV)/.installed

.PHONY: setup demo test lint bench docs clean system-deps browser-deps cdk-deps peer-deps app

setup: system-deps $(STAMP)

system-deps:
	@command -v dot >/dev/null 2>&1 || { echo "installing Graphviz (dot)"; \
	  $(APT) update -qq && $(APT) install -y -qq graphviz >/dev/null; }
	@command -v dot >/dev/null 2>&1 || { echo "Graphviz 'dot' is required: install the graphviz package"; exit 1; }

browser-deps:
	@command -v chromium >/dev/null 2>&1 || { echo "installing Chromium (browser test)"; \
	  $(APT) update -qq && $(APT) install -y -qq chromium >/dev/null || echo "chromium unavailable: the browser test will say why it skips"; }

# The CDK test app (tests/test_cdk.py synthesizes it): Node.js from apt when missing, then
# aws-cdk-lib and constructs from the npm registry into tests/cdk/app/node_modules, once
# per change of its package-lock.json (npm's own cache makes a reinstall fast).
cdk-deps:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { echo "installing Node.js (CDK test)"; \
	  $(APT) update -qq && $(APT) install -y -qq nodejs npm >/dev/null || echo "nodejs unavailable: the CDK synthesis test will say why it skips"; }
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(CDK_STAMP); fi

$(CDK_STAMP): $(CDK_APP)/package.json $(CDK_APP)/package-lock.json
	cd $(CDK_APP) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(CDK_STAMP)

# checkov for the peer-parity test and benchmark, in its own venv (its pins conflict with
# ours: see benchmarks/peer-requirements.txt), once per change of that file. When the
# registry cannot be reached the test says why it skips (and fails under CI=true).
peer-deps:
	@$(MAKE) --no-print-directory $(PEER_STAMP) || echo "checkov unavailable: the checkov parity test will say why it skips"

$(PEER_STAMP): $(PEER_REQS)
	@test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install -q --upgrade pip
	$(PEER_VENV)/bin/python -m pip install -q -r $(PEER_REQS)
	@touch $(PEER_STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: setup
	@# exit 1 means "findings at or above --fail-on": expected for this sample
	$(BIN)/advisor analyze samples/clickstream.arch || [ $$? -eq 1 ]
	$(BIN)/advisor report samples/clickstream.arch --out out/clickstream --png
	$(BIN)/advisor optimize samples/clickstream.arch -o out/clickstream/optimized.arch
	@echo ""
	@echo "Report (report.html, report.md), diagrams (diff.svg/.png, compare.svg/.png) and the"
	@echo "optimized design (optimized.arch) are in out/clickstream/"

test: setup browser-deps cdk-deps peer-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup peer-deps
	$(BIN)/python benchmarks/run_all.py

docs: setup
	$(BIN)/python tools/gen_pattern_docs.py

app: setup
	$(BIN)/advisor app

clean:
	rm -rf out .pytest_cache .ruff_cache .hypothesis
