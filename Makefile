# The two commands of README.md: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
# The interpreter the virtualenv is made from: Debian's own python3 when it can make one (built with
# profile-guided and link-time optimisation, it renders a PDF ~18 % faster than an interpreter
# built without them, such as pyenv's default build: docs/benchmarks.md, issue 16), else the first
# python3 on PATH. `make PYTHON=…` chooses another.
PYTHON ?= $(shell /usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 && echo /usr/bin/python3 || echo python3)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/billing
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test install system-deps lint bench messages

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) scripts/run.py

# Debian packages the tests need: Chromium for the browser tests, Pango and fonts with Polish
# glyphs for WeasyPrint PDFs, poppler to turn PDFs into pictures. Installed when missing (as root).
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils
system-deps:
	@dpkg -s $(SYSTEM_PACKAGES) >/dev/null 2>&1 || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(SYSTEM_PACKAGES); }

test: install system-deps
	$(VENV)/bin/lint-imports --no-cache
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

bench: install
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m bench

messages: install
	$(PY) manage.py makemessages -l pl --no-obsolete && $(PY) manage.py compilemessages -l pl
