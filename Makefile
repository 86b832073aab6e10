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

.PHONY: demo test bench graphviz browser clean twins exercises

# Debian and Ubuntu ship Python without its venv module (package python3-venv): installed here
# as root with apt-get, as for Graphviz; otherwise a one-line instruction
$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2> /dev/null || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv > /dev/null \
	      && $(PYTHON) -m venv $(VENV); \
	  else echo "chainrule needs Python's venv module: install it (sudo apt-get install python3-venv) and run make again"; exit 1; fi; }
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

# the demo: train on moons (progress bar, accuracy), then a decision-boundary picture, the lecture's
# neuron with every gradient, and its backward pass step by step, all in out/
demo: $(STAMP) graphviz
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

test: $(STAMP) graphviz browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

# each lesson's plain-text twin (notebooks/NAME.py, jupytext's percent format: the cells' sources,
# no outputs) is what a reviewer diffs; regenerate after editing a notebook, tests check they agree
twins: $(STAMP)
	$(VENV)/bin/jupytext --quiet --to py:percent notebooks/*.ipynb

# the learners' exercise files (notebooks/exercises/) from the solutions, each marked block a stub
exercises: $(STAMP)
	$(PY) notebooks/strip.py

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) out
