# Set-up and everyday commands. `make demo` and `make test` are the two a new user needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9

.PHONY: install system-deps demo test lint bench bench-search bench-fixity clean-demo lock smoke bench-night eark-venv translations

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install --quiet --python $(PY) -r requirements.lock
	$(UV) pip install --quiet --python $(PY) --no-deps --editable .
	touch $@

demo: install
	$(PY) scripts/demo.py

# Debian packages the tests need (Chromium, fonts, PostgreSQL); installs only what is missing.
system-deps:
	scripts/system-deps.sh

test: install system-deps eark-venv
	$(PY) -m pytest

# eark-validator, which the delivery tests run on every SIP, pins its own lxml: it gets an
# environment of its own, pinned in tests/eark/requirements.txt.
EARK_VENV := .venv-eark

eark-venv: $(EARK_VENV)/.installed

$(EARK_VENV)/.installed: tests/eark/requirements.txt $(VENV)/.installed
	$(PYTHON) -m venv $(EARK_VENV)
	$(UV) pip install --quiet --python $(EARK_VENV)/bin/python -r tests/eark/requirements.txt
	touch $@

lint: install
	$(VENV)/bin/ruff check archive_lib dags plugins tests bench scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

bench: install
	$(PY) bench/capture_bench.py

# Production-like smoke test: Postgres-backed Airflow, REST-triggered night, locked objects.
smoke: install
	$(PY) scripts/smoke_prod.py

bench-night: install
	$(PY) bench/night_sim.py

bench-search: install
	$(PY) bench/search_bench.py

bench-fixity: install
	$(PY) bench/fixity_bench.py

clean-demo:
	rm -rf .demo

# Re-pin every dependency after editing pyproject.toml.
lock: install
	$(UV) pip compile --python-version 3.11 pyproject.toml --extra dev -o requirements.lock

# The catalogues of the archive's words (README "Language"): extract every marked string from the
# code and templates into the template (.pot), merge it into the sv and en catalogues (.po, what a
# translator edits), and compile them (.mo, shipped beside them in the package).
LOCALE := archive_lib/locale
translations: install
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k html --no-location --sort-output --project social-records-archive \
		--copyright-holder social-records-archive -o $(LOCALE)/archive.pot .
	$(VENV)/bin/pybabel -q update --init-missing --ignore-obsolete --ignore-pot-creation-date \
		-D archive -i $(LOCALE)/archive.pot -d $(LOCALE) -l sv
	$(VENV)/bin/pybabel -q update --init-missing --ignore-obsolete --ignore-pot-creation-date \
		-D archive -i $(LOCALE)/archive.pot -d $(LOCALE) -l en
	$(VENV)/bin/pybabel compile --statistics -D archive -d $(LOCALE)
