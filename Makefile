# Switchboard — the two commands:
#   make run    install what a fresh Debian machine lacks, build, serve the demo tenants on SQLite
#   make test   the same setup, then build the plugin libraries and run every test
#               (the PostgreSQL ones against a throwaway server: scripts/with-postgres.sh;
#               the console in headless Chromium: scripts/browser-tests.sh)
#   make soak   the long fuzzing runs (100,000 inputs per target)

SWIFT       ?= swift
HOST        ?= 127.0.0.1
PORT        ?= 8080
# Debian packages the build and the tests need (C libraries wrapped by Sources/System/*,
# and the PostgreSQL server the tests start).
APT_PACKAGES = libsqlite3-dev libssl-dev libcurl4-openssl-dev libpq-dev libhpdf-dev pkg-config gcc postgresql poppler-utils

BIN_DIR      = $(shell $(SWIFT) build --show-bin-path 2>/dev/null)
# The plugin libraries the benchmarks load. TutorBotBench reaches into TutorBot's internals (@testable), so it
# is built apart, with testing enabled, leaving the measured release build as it ships.
PLUGIN_PRODUCTS = TutorBot LeadQualifier MrDJCRM ChargeCarsComms HelloC EchoSwift
BENCH_TESTABLE  = .build/bench-testable

.PHONY: setup build run test soak bench screenshots clean

## setup: install the missing apt packages (root, or sudo when available)
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "==> installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	else echo "==> system packages present"; fi
	@python3 -c 'import openapi_spec_validator' 2>/dev/null || { echo "==> installing openapi-spec-validator (the OpenAPI test uses it)"; python3 -m pip install -q openapi-spec-validator; }

## build: the host, the plugin libraries and the tests
build: setup
	@echo "==> building (first build compiles the dependencies: a few minutes on 2 cores)"
	$(SWIFT) build --build-tests

## run: serve the demo tenants in tenants/ on SQLite (./data/switchboard.sqlite)
## run also stores the demo tenants and gives each a console user admin@<tenant>.demo (password DEMO_PASSWORD)
DEMO_PASSWORD ?= switchboard-demo
run: build
	@for manifest in tenants/*.yaml; do \
	  $(BIN_DIR)/switchboard tenants apply "$$manifest" >/dev/null 2>&1 || { $(BIN_DIR)/switchboard tenants apply "$$manifest"; exit 1; }; done
	@for manifest in tenants/*.yaml; do tenant=$$(basename "$$manifest" .yaml); \
	  SWITCHBOARD_PASSWORD="$(DEMO_PASSWORD)" $(BIN_DIR)/switchboard users create --tenant "$$tenant" --email "admin@$$tenant.demo" \
	    --name "Demo admin" --role admin >/dev/null 2>&1 || true; done
	@echo "==> console: http://mrdj.localhost:$(PORT)/console (and chargecars., tutorbot., leadqualifier.localhost)"
	@echo "    sign in as admin@<tenant>.demo / $(DEMO_PASSWORD); platform admin: http://localhost:$(PORT)/admin/console, token $${SWITCHBOARD_ADMIN_TOKEN:-dev-admin-token}"
	@echo "==> serving on http://$(HOST):$(PORT)  (try: curl -H 'Host: mrdj.localhost' $(HOST):$(PORT)/api/v1/tenant)"
	SWITCHBOARD_ADMIN_TOKEN=$${SWITCHBOARD_ADMIN_TOKEN:-dev-admin-token} \
	  $(BIN_DIR)/switchboard serve --host $(HOST) --port $(PORT)

## test: every test, against the freshly built plugin libraries and a throwaway PostgreSQL server
test: build
	@echo "==> running tests"
	SWITCHBOARD_TEST_PLUGINS_DIR=$(BIN_DIR) ./scripts/with-postgres.sh $(SWIFT) test --skip-build
	SWITCHBOARD_BIN_DIR=$(BIN_DIR) ./scripts/browser-tests.sh

## soak: the long reliability runs: 100,000 fuzz inputs per parser and 2,000 hostile requests per route
soak: build
	@echo "==> soak: fuzzing with 100,000 inputs per target"
	SWITCHBOARD_FUZZ_INPUTS=100000 SWITCHBOARD_FUZZ_REQUESTS=2000 SWITCHBOARD_TEST_PLUGINS_DIR=$(BIN_DIR) \
	  ./scripts/with-postgres.sh $(SWIFT) test --skip-build --filter FuzzTests

## screenshots: the browser tests again, writing screenshots of the main console pages to docs/screenshots
screenshots: build
	SWITCHBOARD_BIN_DIR=$(BIN_DIR) ./scripts/browser-tests.sh --screenshots docs/screenshots

## bench: the performance figures against their targets (release build; wrk from Debian for the load test;
##        the webhook path also on a throwaway PostgreSQL server: scripts/with-postgres.sh).
##        BENCH="fairness webhook" runs only those sections (abi scheduler slots startup webhook tenants fairness)
BENCH ?=
bench: setup
	@command -v wrk >/dev/null || { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO apt-get install -y -qq wrk; }
	@for product in switchboard $(PLUGIN_PRODUCTS) SwitchboardBench; do $(SWIFT) build -c release --product $$product || exit 1; done
	$(SWIFT) build -c release -Xswiftc -enable-testing --scratch-path $(BENCH_TESTABLE) --product TutorBotBench
	@echo "==> machine: $$(nproc) cores, load: $$(uptime)"
	SWITCHBOARD_BENCH_TUTORBOT=$$($(SWIFT) build -c release --scratch-path $(BENCH_TESTABLE) --show-bin-path)/TutorBotBench \
	  ./scripts/with-postgres.sh $(SWIFT) run -c release --skip-build SwitchboardBench $(BENCH)

clean:
	rm -rf .build data
