# mipmib: `make run` starts the main job, `make test` installs what the tests need and runs them,
# `make bench [QUICK=1]` measures it against references.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: run test bench install system-deps mibs lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: system-deps $(STAMP) mibs

system-deps:
	scripts/install-system-deps.sh

mibs: system-deps $(STAMP)
	scripts/fetch-ietf-mibs.sh
	$(PY) -m mipmib.mib.compile

run: install
	$(VENV)/bin/mipmib run --config agent/mipmib.toml --demo-mns 5

test: install
	$(VENV)/bin/ruff check mipmib tests bench
	$(PY) -m pytest -q

# every benchmark against its reference in the same run: one table, bench/last.json;
# a full run also updates bench/RESULTS.md. QUICK=1: small sizes, about a minute.
bench: install
	$(PY) -m bench.run $(if $(filter 1 yes true,$(QUICK)),--quick)

lint: $(STAMP)
	$(VENV)/bin/ruff check mipmib tests bench

clean:
	rm -rf $(VENV) mibs/ietf mibs/compiled state .pytest_cache
