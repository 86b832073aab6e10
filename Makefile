# Two commands set up everything from a fresh clone: `make demo` and `make test`.
# They create a local virtual environment (.venv), install the project into it, and install the
# Graphviz `dot` program where this machine allows (apt-get as root, or Homebrew).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# PyTorch is only an oracle for parity tests: installed when a local CPU wheel is on disk,
# never downloaded (a plain `pip install torch` can pull a multi-GB CUDA build).
TORCH_WHEEL := $(firstword $(wildcard /opt/wheels/torch-2.13.0*.whl))

.PHONY: demo test bench graphviz browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,notebooks]'
ifneq ($(TORCH_WHEEL),)
	$(PY) -m pip install --quiet torch==2.13.0
endif
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

graphviz:
	@command -v dot > /dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz > /dev/null; \
	  elif command -v brew > /dev/null; then brew install graphviz; \
	  else echo "chainrule needs the Graphviz 'dot' program: install it (sudo apt-get install graphviz | brew install graphviz | conda install graphviz) and run make again"; exit 1; fi; }

# a headless browser for the animation test; the test skips itself where none could be installed
browser:
	@command -v chromium > /dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null || true; \
	  else echo "note: no chromium found; the browser test of the animation will be skipped"; fi; }

demo: $(STAMP) graphviz
	$(PY) -m engine

test: $(STAMP) graphviz browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) out
