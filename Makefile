# Two commands a newcomer needs: `make demo` and `make test`. Both create .venv when it is missing or stale.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp is named by the pins' hash: any change to pyproject.toml re-installs, whatever the file times say.
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

export AIRFLOW__CORE__LOAD_EXAMPLES ?= False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY ?= False
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= False
export GX_ANALYTICS_ENABLED ?= False
export PIP_DISABLE_PIP_VERSION_CHECK ?= 1

# Which published warehouse `make serve` and `make docs` show: $FZZF_DATA_DIR's, else ./data's, else the demo's
# (after `make demo`).
PUBLISHED_DATA_DIR ?= $(or $(FZZF_DATA_DIR),$(if $(wildcard data/warehouse.duckdb),data,$(if $(wildcard data/demo/warehouse.duckdb),data/demo,data)))

.PHONY: venv chromium demo serve test lint format airflow docs bench clean

venv: $(STAMP)

# Re-install only when the pins change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	@# cosmos left the runtime deps (the bench extra has it): a venv made before keeps no Airflow plugin it never needs
	$(BIN)/pip uninstall -q -y astronomer-cosmos 2>/dev/null || true
	$(BIN)/pip check
	rm -f $(VENV)/.installed*
	touch $(STAMP)

# The OS Chromium the crawler's browser drives (scrapers/collect/browser.py finds it; FZZF_CHROMIUM points elsewhere).
# Missing and root with apt: installed from the OS packages. Otherwise the message says how; the demo runs without it.
chromium: venv
	@$(BIN)/python -m scrapers.collect.browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && [ -z "$$FZZF_CHROMIUM" ] && command -v apt-get >/dev/null; then \
	    echo "==> installing Chromium from the OS packages (apt-get install chromium)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  fi; \
	  $(BIN)/python -m scrapers.collect.browser >/dev/null || [ "$(CHROMIUM_OPTIONAL)" = 1 ]; }

demo: venv
	@$(MAKE) --no-print-directory chromium CHROMIUM_OPTIONAL=1
	$(BIN)/fzzf demo

# The coverage page on http://127.0.0.1:8765/ over the demo's published warehouse (FZZF_DATA_DIR for another).
serve: venv
	$(BIN)/fzzf serve --data-dir $(PUBLISHED_DATA_DIR)

# Two workers, one test file each at a time (module fixtures such as the reliability pipeline run once); the
# slowest tests are listed at the end so that the next person trimming the suite knows where the time goes.
PYTEST_WORKERS ?= 2
test: venv chromium
	$(BIN)/ruff check scrapers dags tests bench
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --durations=15

lint: venv
	$(BIN)/ruff check scrapers dags tests bench
	$(BIN)/ruff format --check scrapers dags tests bench

format: venv
	$(BIN)/ruff format scrapers dags tests bench
	$(BIN)/ruff check --fix scrapers dags tests bench

airflow: venv
	$(BIN)/fzzf airflow

# dbt docs of the published warehouse, served on 127.0.0.1:8081 (DOCS_PORT).
DOCS_PORT ?= 8081
docs: venv
	$(BIN)/fzzf docs --data-dir $(PUBLISHED_DATA_DIR) --port $(DOCS_PORT)

# The bench extra (astronomer-cosmos, for bench/dbt_orchestration.py) on top of the venv; `make venv` removes it again.
bench: venv
	$(BIN)/pip install -q -e '.[dev,bench]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/warehouse.py
	$(BIN)/python bench/resolve.py
	$(BIN)/python bench/dag_parse.py
	$(BIN)/python bench/browser.py

clean:
	rm -rf data .airflow dbt_project/target dbt_project/logs
