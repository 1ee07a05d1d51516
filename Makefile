PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# DEBUG is off (the product's own error pages; WhiteNoise serves static files): DJANGO_DEBUG=1 make demo for
# Django's debug pages.
demo: $(STAMP)
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py publish_flows
	$(PY) manage.py seed_demo
	# the mail worker sends queued mail (django-tasks' database backend) beside the server, and stops with it
	$(PY) manage.py db_worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) db.sqlite3
