# performer: two commands.
#   make run   - set up .venv and open the performer window on the built-in face model
#   make test  - set up .venv with the test extras, install system packages, run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is declared with a lower bound only. Without an NVIDIA GPU a CPU build is all that
# is needed, so install one first (fast, small); override e.g. TORCH_SPEC='torch>=2.1'.
TORCH_SPEC ?= $(shell command -v nvidia-smi >/dev/null 2>&1 && echo 'torch>=2.1' || echo 'torch==2.13.0')
RUN_ARGS ?=
PYTEST_ARGS ?=
# shaders/ and mappings/ are installed as performer.shaders / performer.mappings; setuptools
# warns about that mapping on every editable install, which is expected here.
PIP_INSTALL := PYTHONWARNINGS='ignore:Editable installation' $(BIN)/pip install --quiet

.PHONY: run test lint bench render system-deps clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "performer needs Python 3.10 or newer (found: $$($(PYTHON) --version 2>&1)); try: make PYTHON=python3.11"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || \
	  { rm -rf $(VENV); echo "could not create $(VENV): on Debian/Ubuntu install python3-venv (sudo apt-get install python3-venv)"; exit 1; }
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "installing performer into $(VENV) (once; torch: $(TORCH_SPEC))"
	@$(PIP_INSTALL) "$(TORCH_SPEC)"
	@$(PIP_INSTALL) -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	@echo "installing the test tools into $(VENV) (once)"
	@$(PIP_INSTALL) -e '.[test]'
	@touch $@

run: $(VENV)/.installed
	@$(BIN)/performer run $(RUN_ARGS)

system-deps:
	@bash scripts/system_deps.sh

test: system-deps $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check performer tests scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(VENV)/.installed
	$(BIN)/performer bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
