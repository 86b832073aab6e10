"""Graphs many test files share: random expression DAGs, and the lecture's neuron.

Random DAGs are graphs that the engine and the oracles (HIPS autograd, PyTorch) all evaluate.

A program is a list of leaf values and a list of steps; each step applies one operation to
earlier results (leaves first, then the results of earlier steps), so operands are freely
shared: the same subexpression feeds several later steps, which is exactly where a wrong
accumulation of gradients would show. The program is written once and run by each backend
with its own functions, so the engine's numbers are compared with independent machinery.

The lecture's neuron is the one of the "spelled-out intro to backprop" lecture, with numbers
chosen so every gradient can be checked by hand.

Tests get them through the fixtures `dags` and `lecture_neuron` (fixtures, because test modules
are imported with `--import-mode=importlib` and cannot import this file).
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from engine import Value
from engine.ops import local_registry

# In CI (CI=true) every property test runs the same examples every time, with no example
# database carried between runs: a failure there is a real one, reproducible by running again
# with CI=true. Locally hypothesis keeps exploring new examples on each run.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")

# Each operation is written with plain operators plus the backend's named functions `f`, so
# one definition serves every backend. Arguments that must stay positive (log, sqrt, the base
# of a power) are made positive by construction rather than by filtering.
UNARY = {
    "neg": lambda f, x: -x,
    "scale": lambda f, x: 3.0 * x - 1,
    "square": lambda f, x: x**2,
    "cube": lambda f, x: x**3,
    "reciprocal": lambda f, x: (x * x + 1) ** -1,
    "exp2": lambda f, x: 2**x,
    "exp": lambda f, x: f.exp(x),
    "log": lambda f, x: f.log(x * x + 1),
    "sqrt": lambda f, x: f.sqrt(x * x + 1),
    "tanh": lambda f, x: f.tanh(x),
    "sigmoid": lambda f, x: f.sigmoid(x),
    "sin": lambda f, x: f.sin(x),
    "cos": lambda f, x: f.cos(x),
    "softplus": lambda f, x: f.softplus(x),
    "relu": lambda f, x: f.relu(x),
    "abs": lambda f, x: f.abs(x),
    "leaky_relu": lambda f, x: f.leaky_relu(x),
}
BINARY = {
    "+": lambda f, a, b: a + b,
    "-": lambda f, a, b: a - b,
    "*": lambda f, a, b: a * b,
    "/": lambda f, a, b: a / (1 + b * b),
    "**": lambda f, a, b: (a * a + 1) ** b,
}
# the operations with a kink: their argument must not sit so close to the kink that rounding
# differences between backends could put it on different sides
KINKED = {"relu", "abs", "leaky_relu"}


@dataclass(frozen=True)
class Program:
    leaves: tuple[float, ...]
    steps: tuple[tuple[str, tuple[int, ...]], ...]

    def run(self, f: object, leaves: list) -> tuple[object, list]:
        """Evaluate with backend `f` on `leaves`; the output sums the last two results (via sum())."""
        nodes = list(leaves)
        for name, args in self.steps:
            op = UNARY.get(name) or BINARY[name]
            nodes.append(op(f, *[nodes[i] for i in args]))
        return sum(nodes[-2:]) if len(self.steps) > 1 else nodes[-1], nodes

    def is_tame(self) -> bool:
        """Every intermediate finite and moderate, and no kink argument within rounding of its kink."""
        nodes = list(self.leaves)
        for name, args in self.steps:
            values = [nodes[i] for i in args]
            if name in KINKED and 0 < abs(values[0]) < 1e-6:
                return False
            if name == "**" and values[1] == 0:
                # HIPS autograd's power rule uses exponent 1 in place of 0 in its base slope, so its
                # mixed second derivative is wrong exactly there (2a(a^2+1)^-1 is right; mpmath agrees)
                return False
            op = UNARY.get(name) or BINARY[name]
            try:
                result = op(_FLOATS, *values)
            except (OverflowError, ValueError, ZeroDivisionError):
                return False
            if not (math.isfinite(result) and abs(result) < 1e3):
                return False
            nodes.append(result)
        return True

    def __str__(self) -> str:
        names = [f"x{i}" for i in range(len(self.leaves))]
        lines = [f"x{i} = {v!r}" for i, v in enumerate(self.leaves)]
        for name, args in self.steps:
            names.append(f"t{len(names) - len(self.leaves)}")
            lines.append(f"{names[-1]} = {name}({', '.join(names[i] for i in args)})")
        return "; ".join(lines)


def _float_sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


# plain floats, only to decide whether a drawn program stays in a sensible range
_FLOATS = SimpleNamespace(
    exp=math.exp,
    log=math.log,
    sqrt=math.sqrt,
    tanh=math.tanh,
    sigmoid=_float_sigmoid,
    sin=math.sin,
    cos=math.cos,
    softplus=lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))),
    relu=lambda x: max(x, 0.0),
    abs=abs,
    leaky_relu=lambda x: x if x > 0 else 0.01 * x,
)

ENGINE = SimpleNamespace(
    **{name: (lambda name: lambda x: getattr(x, name)())(name) for name in vars(_FLOATS) if name != "leaky_relu"},
    leaky_relu=lambda x: x.leaky_relu(0.01),
)


def _autograd_backend() -> SimpleNamespace:
    import autograd.numpy as anp

    return SimpleNamespace(
        exp=anp.exp,
        log=anp.log,
        sqrt=anp.sqrt,
        tanh=anp.tanh,
        sigmoid=lambda x: 1 / (1 + anp.exp(-x)),
        sin=anp.sin,
        cos=anp.cos,
        softplus=lambda x: anp.logaddexp(0.0, x),
        relu=lambda x: anp.where(x > 0, x, 0.0),
        abs=anp.abs,
        leaky_relu=lambda x: anp.where(x > 0, x, 0.01 * x),
    )


def _torch_backend() -> SimpleNamespace:
    import torch
    import torch.nn.functional as F

    return SimpleNamespace(
        exp=torch.exp,
        log=torch.log,
        sqrt=torch.sqrt,
        tanh=torch.tanh,
        sigmoid=torch.sigmoid,
        sin=torch.sin,
        cos=torch.cos,
        softplus=lambda x: F.softplus(x, threshold=50.0),  # torch's default switches to x at 20
        relu=torch.relu,
        abs=torch.abs,
        leaky_relu=lambda x: F.leaky_relu(x, 0.01),
    )


@st.composite
def programs(draw: st.DrawFn, max_leaves: int = 4, max_steps: int = 10) -> Program:
    n = draw(st.integers(1, max_leaves))
    leaves = tuple(draw(st.floats(-2.0, 2.0, allow_nan=False)) for _ in range(n))
    steps = []
    for i in range(draw(st.integers(1, max_steps))):
        available = n + i
        # half the time an operand is one of the newest results, so graphs grow deep as well as wide
        operand = st.one_of(st.integers(max(0, available - 2), available - 1), st.integers(0, available - 1))
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY))), (draw(operand),)))
        else:
            steps.append((draw(st.sampled_from(sorted(BINARY))), (draw(operand), draw(operand))))
    return Program(leaves, tuple(steps))


class _Dags(SimpleNamespace):
    def __repr__(self) -> str:  # hypothesis prints the fixture with each failing example
        return "dags"


@pytest.fixture(scope="session")
def dags() -> SimpleNamespace:
    """Random programs (`dags.programs()`) and the backends that run them (engine, autograd, torch)."""
    return _Dags(programs=programs, engine=ENGINE, autograd=_autograd_backend, torch=_torch_backend)


def _lecture_neuron() -> tuple[Value, dict[str, Value]]:
    """o = tanh(x1*w1 + x2*w2 + b) at the lecture's numbers, with its labelled nodes by label.

    b is chosen so that n = 0.8814 and o = tanh(n) = 1/sqrt(2): then do/dn = 1 - o^2 = 0.5, and
    by hand do/dx1 = w1·0.5 = -1.5, do/dw1 = x1·0.5 = 1, do/dx2 = w2·0.5 = 0.5, do/dw2 = x2·0.5 = 0.
    """
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n, o=o)


@pytest.fixture
def fake_dot(tmp_path: Path) -> Callable[[str], str]:
    """`fake_dot(body)`: a PATH whose only `dot` is the shell script `body` (a Graphviz that hangs or fails)."""

    def make(body: str) -> str:
        folder = tmp_path / "bin"
        folder.mkdir()
        script = folder / "dot"
        script.write_text("#!/bin/sh\n" + body + "\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return str(folder)

    return make


@pytest.fixture
def lecture_neuron() -> Callable[[], tuple[Value, dict[str, Value]]]:
    """Builds the lecture's neuron afresh on each call: `o, nodes = lecture_neuron()`."""
    return _lecture_neuron


@pytest.fixture(autouse=True)
def _ops_registered_in_a_test_stay_in_that_test():
    # an op a test defines with @primitive (some wrong on purpose) must not join the table that
    # other tests walk
    with local_registry():
        yield
