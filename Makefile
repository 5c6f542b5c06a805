# Pilotage RSA — the two commands of the README, and their building blocks.
# `make run`  : environment + sample warehouse (if missing) + dashboard on 127.0.0.1:8501
# `make test` : environment + dev tools + the whole test suite (lint included)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/pilotage.duckdb
export PILOTAGE_DB ?= $(DB)

# `make test` runs the suite on one pytest-xdist worker per core, 4 at most (each worker
# starts one Streamlit server and one Chromium for all the browser tests it runs, see
# tests/conftest.py); TEST_JOBS=1 for one worker.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)

CHROMIUM ?= /usr/bin/chromium
PDFTOTEXT ?= /usr/bin/pdftotext
SOFFICE ?= /usr/bin/soffice

.PHONY: run test lint format warehouse demo bench clean browser deploy-tools libreoffice

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The sample warehouse is built through the real pipelines (validate + load of every sample file).
$(DB): | $(VENV)/.runtime
	$(PY) -m pipelines demo --db $(DB)

warehouse: $(DB)

# A warehouse built by an earlier version is brought to the code's schema first (as the
# systemd unit does before it starts): a page never reads a macro its file lacks.
run: $(VENV)/.runtime $(DB)
	$(PY) -m pipelines migrer --db $(DB)
	$(PY) -m dashboard.serve --server.address 127.0.0.1 --server.port 8501 \
		--server.headless true --browser.gatherUsageStats false $(ARGS)

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "Chromium manque : sudo apt-get install chromium (tests dans le navigateur)"; exit 1; \
	fi

# The committee report's tests read the PDFs back with poppler (pdftotext, pdfinfo, pdftoppm).
$(PDFTOTEXT):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; \
	else \
		echo "poppler-utils manque : sudo apt-get install poppler-utils (tests du rapport PDF)"; exit 1; \
	fi

browser: $(CHROMIUM)

# The DREES return's test converts its xlsx headless with LibreOffice (soffice --convert-to).
$(SOFFICE):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui; \
	else \
		echo "LibreOffice manque : sudo apt-get install libreoffice-calc-nogui (test du bilan OARSA)"; exit 1; \
	fi

libreoffice: $(SOFFICE)

# tests/test_deploy.py checks deploy/ with Debian's own checkers: systemd-analyze verify
# (package systemd) and nginx -t, then runs the nginx example in front of a local upstream.
# RUNLEVEL=1: the package's postinst must not start an nginx daemon on the CI machine.
SYSTEMD_ANALYZE ?= /usr/bin/systemd-analyze
NGINX ?= /usr/sbin/nginx
$(SYSTEMD_ANALYZE) $(NGINX):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends systemd nginx; \
	else \
		echo "systemd-analyze ou nginx manque : sudo apt-get install systemd nginx (tests de deploy/)"; exit 1; \
	fi

deploy-tools: $(SYSTEMD_ANALYZE) $(NGINX)

# Bytecode caches written even where PYTHONDONTWRITEBYTECODE is set (the development
# machine sets it, a CI image may): the suite starts more than a hundred Python processes
# (servers, commands, the XML reader's second halves), and without caches each compiles
# the product's modules again.
test: $(VENV)/.dev $(CHROMIUM) $(PDFTOTEXT) $(SOFFICE) $(SYSTEMD_ANALYZE) $(NGINX)
	$(VENV)/bin/ruff check .
	env -u PYTHONDONTWRITEBYTECODE PILOTAGE_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -n $(TEST_JOBS) --dist loadgroup \
		--no-loadscope-reorder

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

demo: $(VENV)/.runtime
	$(PY) -m pipelines demo --db $(DB)

bench: $(VENV)/.dev $(DB)
	$(PY) benchmarks/bench_pecgm.py
	$(PY) benchmarks/bench_pages.py --db $(DB)

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache tests/artifacts
