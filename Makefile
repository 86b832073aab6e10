# Two commands set up everything from a fresh clone: `make demo` and `make test`.
# They create a local virtual environment (.venv), install the project into it, and install the
# Graphviz `dot` program where this machine allows (apt-get as root, or Homebrew).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# two stamps: the demo needs only the runtime and matplotlib; the tests need everything else too
DEMO_STAMP := $(VENV)/.demo-installed
TEST_STAMP := $(VENV)/.test-installed
# PyTorch is only an oracle for parity tests: installed when a local CPU wheel is on disk,
# never downloaded (a plain `pip install torch` can pull a multi-GB CUDA build).
TORCH_WHEEL := $(firstword $(wildcard /opt/wheels/torch-2.13.0*.whl))
# every CPython the project supports; `make test` runs the suite on each one it finds
SUPPORTED_PYTHONS := 3.10 3.11 3.12 3.13 3.14

.PHONY: help demo test lint typecheck pytest pythons bench graphviz browser clean twins exercises
.DEFAULT_GOAL := help

help:
	@echo "make demo       set up .venv (runtime + matplotlib only), train on two moons, draw a neuron, into out/"
	@echo "make test       ruff, mypy and pytest on this Python, then pytest on every other CPython >= 3.10 found"
	@echo "make pythons    only the other CPythons' runs (each in its own .venv-3.X, with the [test] extra)"
	@echo "make bench      micrograd's demo loop on micrograd, chainrule and plain floats (prints the Python version)"
	@echo "make exercises  write the learners' files (notebooks/exercises/) from the solutions, each solution a stub"
	@echo "make twins      rewrite each notebook's plain-text twin (notebooks/*.py) after editing a lesson"
	@echo "make clean      remove .venv, .venv-3.X and out/"
	@echo "After make demo: .venv/bin/chainrule --help   (or: source .venv/bin/activate; chainrule --help)"

# Debian and Ubuntu ship Python without its venv module (package python3-venv): installed here
# as root with apt-get, as for Graphviz; otherwise a one-line instruction
$(PY):
	@echo "==> creating $(VENV) with $(PYTHON)"
	@$(PYTHON) -m venv $(VENV) 2> /dev/null || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv > /dev/null \
	      && $(PYTHON) -m venv $(VENV); \
	  else echo "chainrule needs Python's venv module: install it (sudo apt-get install python3-venv) and run make again"; exit 1; fi; }

# pip's own lines (Collecting ..., Installing ...) are the progress: no --quiet here
$(DEMO_STAMP): pyproject.toml | $(PY)
	@echo "==> installing chainrule into $(VENV) with what the demo needs (graphviz, tqdm, matplotlib)"
	$(PY) -m pip install --progress-bar on -e '.[plot]'
	touch $(DEMO_STAMP)

$(TEST_STAMP): $(DEMO_STAMP)
	@echo "==> installing the test oracles, linters, type checker and notebook tools into $(VENV)"
	$(PY) -m pip install --progress-bar on -e '.[test,notebooks,plot]'
ifneq ($(TORCH_WHEEL),)
	@echo "==> installing PyTorch 2.13.0 (CPU) from /opt/wheels, for the parity tests"
	$(PY) -m pip install --quiet torch==2.13.0
endif
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(TEST_STAMP)

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

# the demo: train on moons (progress bar, accuracy), then a decision-boundary picture, the lecture's
# neuron with every gradient, and its backward pass step by step, all in out/
demo: $(DEMO_STAMP) graphviz
	@mkdir -p out
	$(VENV)/bin/chainrule train --dataset moons --hidden 16,16 --steps 100 --seed 0 --plot out/moons.png --save out/moons.json
	$(VENV)/bin/chainrule draw "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 -o out/neuron.svg
	@$(VENV)/bin/chainrule draw "tanh(x1*w1 + x2*w2 + b)" --at x1=2 x2=0 w1=-3 w2=1 b=6.8813735870195432 -o out/neuron.html > /dev/null
	@echo
	@echo "Demo done. Open:"
	@echo "  $(CURDIR)/out/moons.png    the decision boundary the network learned"
	@echo "  $(CURDIR)/out/neuron.svg   a neuron's graph with every value and gradient"
	@echo "  $(CURDIR)/out/neuron.html  its backward pass, one chain-rule step at a time (any browser)"
	@echo "More: $(VENV)/bin/chainrule --help   (e.g. chainrule gradflow -o out/flow.svg)"

test: lint typecheck pytest pythons

lint: $(TEST_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# mypy reads its settings (files, Python 3.10, which third-party packages are untyped) from pyproject.toml
typecheck: $(TEST_STAMP)
	$(PY) -m mypy

pytest: $(TEST_STAMP) graphviz browser
	$(PY) -m pytest

# the suite again on every other supported CPython on PATH or under pyenv, each in its own venv
# with only the [test] extra (which must be enough: tests of optional packages skip with the reason)
pythons: graphviz
	@./.ci/each_python $(PY) $(SUPPORTED_PYTHONS)

# each lesson's plain-text twin (notebooks/NAME.py, jupytext's percent format: the cells' sources,
# no outputs) is what a reviewer diffs; regenerate after editing a notebook, tests check they agree
twins: $(TEST_STAMP)
	$(VENV)/bin/jupytext --quiet --to py:percent notebooks/*.ipynb

# the learners' exercise files (notebooks/exercises/) from the solutions, each marked block a stub
exercises: $(TEST_STAMP)
	$(PY) notebooks/strip.py

bench: $(DEMO_STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	@$(PY) -c 'import platform; print("Python", platform.python_version(), "(" + platform.python_implementation() + ")")'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .venv-3.* out
