# Two commands: `make run` (portal with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The frozen test day of `make test-frozen` (CI) and the awkward days `make test-dates` walks
# through (docs/testing.md); tests needing the real clock (worker, browser) are left out.
TEST_TODAY ?= 2028-02-29
TEST_DATES ?= 2027-12-31 2028-01-01 2028-02-29 2028-03-31 2028-04-01

.PHONY: run test test-frozen test-dates lint install migrate demo worker beat clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo --if-empty

run: demo
	@$(PY) manage.py demo_logins
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

test-frozen: install
	ESG_TEST_TODAY=$(TEST_TODAY) $(PY) -m pytest -m "not real_clock"

test-dates: install
	@set -e; for day in $(TEST_DATES); do \
		echo "make: test day $$day"; ESG_TEST_TODAY=$$day $(PY) -m pytest -q -m "not real_clock"; \
	done

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

worker: install
	$(VENV)/bin/celery -A config worker -l info

beat: install
	$(VENV)/bin/celery -A config beat -l info

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles
