PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install clean serve serve-web serve-worker migrate-production

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
	$(PY) manage.py task_worker & WORKER=$$!; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# The production recipe (README "Running on more than one machine"): the environment gives DATABASE_URL
# (PostgreSQL, shared by every machine), DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS (and the optional settings of
# backoffice/settings/production.py). `make serve` migrates, then runs WEB_WORKERS gunicorn workers on BIND and
# TASK_WORKERS task workers on this machine, and stops them all together; `make serve-web` and `make serve-worker`
# run one kind each, for machines of their own.
WEB_WORKERS ?= 4
TASK_WORKERS ?= 2
BIND ?= 127.0.0.1:8000
PROD := DJANGO_SETTINGS_MODULE=backoffice.settings.production
GUNICORN := $(VENV)/bin/gunicorn backoffice.wsgi:application --workers $(WEB_WORKERS) --bind $(BIND) \
	--access-logfile - --timeout 120 --graceful-timeout 30 --max-requests 2000 --max-requests-jitter 200

migrate-production: $(STAMP)
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL must name the shared PostgreSQL database"; exit 2; }
	$(PROD) $(PY) manage.py migrate --no-input -v 0
	$(PROD) $(PY) manage.py publish_flows

serve: migrate-production
	PIDS=""; for i in $$(seq $(TASK_WORKERS)); do $(PROD) $(PY) manage.py task_worker --no-reload -v 0 & PIDS="$$PIDS $$!"; done; \
	trap 'kill $$PIDS 2>/dev/null; wait' EXIT INT TERM; \
	env $(PROD) $(GUNICORN)

serve-web: $(STAMP)
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL must name the shared PostgreSQL database"; exit 2; }
	exec env $(PROD) $(GUNICORN)

serve-worker: $(STAMP)
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL must name the shared PostgreSQL database"; exit 2; }
	PIDS=""; for i in $$(seq $(TASK_WORKERS)); do $(PROD) $(PY) manage.py task_worker --no-reload -v 0 & PIDS="$$PIDS $$!"; done; \
	trap 'kill $$PIDS 2>/dev/null; wait' EXIT INT TERM; wait

test: $(STAMP)
	$(PY) -m pytest

clean:
	rm -rf $(VENV) db.sqlite3
