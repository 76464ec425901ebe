# abrkit: every target sets itself up on a fresh machine, idempotently.
#   make demo    the main job: build the sample title, serve it, play it over a real trace
#   make test    ruff, mypy --strict, and the whole pytest suite
#   make bench   the benchmark scripts in bench/, one table

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXTRAS := gui,dev,distributed
# Qt (offscreen widgets, QtMultimedia) and audio need these shared libraries; the
# offline store's keyring test runs GNOME Keyring on a private D-Bus session.
DEB_PACKAGES := libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 \
	libdbus-1-3 libglib2.0-0 libxcb-cursor0 libpulse0 libasound2 \
	gnome-keyring dbus-daemon
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
INSTALLED := $(VENV)/.installed

.PHONY: setup deps demo test lint typecheck pytest bench clean

setup: deps $(INSTALLED)

# Debian packages: only when one is missing, so a set-up machine needs no network.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall when the project's metadata changes (new dependency, new entry point) or the
# engine core changes: setup.py compiles player/engine/core.py with mypyc (an edited
# core.py beside an older build runs as plain Python until then; see docs/ARCHITECTURE.md).
$(INSTALLED): pyproject.toml setup.py player/engine/core.py | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

demo: setup
	$(BIN)/abrkit demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check player abr drm traces ui tests bench

typecheck: setup
	$(BIN)/mypy

pytest: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q
	@# The suite ran the compiled engine core; its own tests once more on core.py itself.
	ABRKIT_PURE_PYTHON=1 $(BIN)/python -m pytest -q tests/engine \
	  --ignore=tests/engine/test_compiled_core.py

test: lint typecheck pytest

# BENCH_ARGS: e.g. "--readme README.md" refreshes the README's table from this run.
BENCH_ARGS ?=
bench: setup
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build *.egg-info
	rm -f player/engine/*.so player/engine/core.sha256
