"""From a neuron to a network: parameters are Values, a model is arithmetic on them.

A neuron computes `activation(w · x + b)`. Its weights `w` and bias `b` are ordinary leaf
Values, so calling a model on an input builds one big graph from the parameters to the output,
and `loss.backward()` leaves d loss / d parameter in every parameter's `.grad`. Training is
then nothing but nudging each parameter against its gradient (see optim.py).

The classes match micrograd's (`Neuron`, `Layer`, `MLP`, same attributes, same default
initialisation from Python's `random`), so a micrograd script runs unchanged and draws the very
same weights. Every module names its parts: construction and calls run inside an
`engine.scope`, so a parameter knows it is `layers.1.neurons.3.w0` and every node made while
that neuron runs carries `layers.1.neurons.3` — which is how drawings group a graph by module.

>>> import random
>>> random.seed(1337)
>>> model = MLP(2, [16, 16, 1])
>>> len(model.parameters())
337
>>> model.layers[1].neurons[3].w[0].scope
'layers.1.neurons.3'
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, TypedDict, TypeGuard, cast

from engine import Value, ops, scope
from engine.checks import is_real, positive_integer
from engine.modes import Meta, _metas_inside, _Scope
from engine.ops import linear_primitive, weighted_sum
from engine.value import _node

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS", "is_module", "as_parameters"]

# each activation by name, and the primitive a neuron applies to w · x + b ('linear': none)
_ACTIVATION_OPS = {
    "relu": ops.relu,
    "tanh": ops.tanh,
    "sigmoid": ops.sigmoid,
    "leaky_relu": ops.leaky_relus(0.01),
    "linear": None,
}
ACTIVATIONS = tuple(_ACTIVATION_OPS)

_NO_BLOCK = nullcontext()  # a Layer called on its own has no outer block to enter

# what a module takes: a list (or tuple) of numbers or Values; a lone one where it takes one
_Inputs = Sequence[Value | float] | Value | float


class Module:
    """Base class: finds parameters and sub-modules among a module's attributes.

    An attribute holding a Value is a parameter named after the attribute (`b`); a list of
    Values gives `w0, w1, ...`; a sub-module, or a list of them, adds a dotted prefix
    (`layers.0.`). Subclasses define `__init__` and `__call__`, nothing else.

    >>> n = Neuron(2, seed=0)
    >>> [name for name, _ in n.named_parameters()]
    ['w0', 'w1', 'b']
    """

    # Any, honestly: each subclass defines its own inputs and outputs
    def __call__(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def named_children(self) -> list[tuple[str, Module]]:
        """The direct sub-modules, with their dotted names, in the order they were assigned."""
        children = []
        for name, attr in _public_attributes(self):
            if isinstance(attr, Module):
                children.append((name, attr))
            elif isinstance(attr, (list, tuple)):
                children.extend((f"{name}.{i}", item) for i, item in enumerate(attr) if isinstance(item, Module))
        return children

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(name, Value) for every parameter, each once, in a stable order (micrograd's order)."""
        named: list[tuple[str, Value]] = []
        seen: set[int] = set()
        names: set[str] = set()
        for name, p in self._walk_parameters(""):
            if id(p) not in seen:  # a parameter shared by two modules is listed once, under its first name
                if name in names:  # e.g. a list `w` (named w0, w1, ...) beside an attribute `w0`
                    raise ValueError(f"{type(self).__name__} has two parameters named {name!r}: rename one attribute")
                seen.add(id(p))
                names.add(name)
                named.append((name, p))
        return named

    def _walk_parameters(self, prefix: str) -> Iterator[tuple[str, Value]]:
        for name, attr in _public_attributes(self):
            if isinstance(attr, Value):
                yield prefix + name, attr
            elif isinstance(attr, Module):
                yield from attr._walk_parameters(f"{prefix}{name}.")
            elif isinstance(attr, (list, tuple)):
                for i, item in enumerate(attr):
                    if isinstance(item, Value):
                        yield f"{prefix}{name}{i}", item
                    elif isinstance(item, Module):
                        yield from item._walk_parameters(f"{prefix}{name}.{i}.")

    def parameters(self) -> list[Value]:
        """Every parameter Value, each once: what an optimizer updates."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (backward adds to it, so do this before each one)."""
        for p in self.parameters():
            p.grad = 0.0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze every parameter; returns the module, as in PyTorch.

        A frozen parameter takes no gradient in backward and no optimizer moves it.

        >>> model = MLP(2, [3, 1], seed=0)
        >>> model.layers[0].requires_grad_(False) is model.layers[0]
        True
        >>> [p.requires_grad for p in model.parameters()].count(False)
        9
        """
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def state_dict(self) -> dict[str, float]:
        """{parameter name: its value} — plain floats, ready for JSON."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set every parameter from `state` (as made by `state_dict()`), all or nothing.

        Strict: a missing or unexpected name raises KeyError, a value that is not a real number
        raises TypeError, a nan or infinite one (or one too large for a float) raises ValueError —
        each listing the offending names — and then no parameter has changed.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict needs a mapping of name -> number, got {type(state).__name__}")
        named = dict(self.named_parameters())
        missing = [name for name in named if name not in state]
        unexpected = [name for name in state if name not in named]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {_listing(missing)}")
            if unexpected:
                parts.append(f"unexpected {_listing(unexpected)}")
            raise KeyError(f"state dict does not fit {type(self).__name__}: " + "; ".join(parts))
        not_numbers = [name for name in named if not is_real(state[name])]
        if not_numbers:
            kinds = _listing([f"{name} ({type(state[name]).__name__})" for name in not_numbers])
            raise TypeError(f"state dict values must be real numbers, got {kinds}")
        not_finite = [name for name in named if not _finite_float(state[name])]
        if not_finite:
            names = _listing(not_finite)
            raise ValueError(f"state dict has non-finite values (nan, inf, or too large for a float) for {names}")
        for name, p in named.items():
            p.data = float(state[name])

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({len(self.parameters())} parameters)"]
        for name, child in self.named_children():
            lines.append(f"  {name}: " + repr(child).replace("\n", "\n  "))  # a child's own lines, indented under it
        return "\n".join(lines)


class Neuron(Module):
    """One neuron: `activation(w0*x0 + w1*x1 + ... + b)`.

    `activation` is one of 'relu' (default), 'tanh', 'sigmoid', 'leaky_relu', 'linear';
    micrograd's `nonlin=False` (or `Neuron(nin, False)`) also means linear. `init` is 'uniform'
    (micrograd's: each weight `random.uniform(-1, 1)`), 'xavier' or 'he'; the bias starts at 0.
    Draws come from Python's global `random` unless `seed` (or a `random.Random` as `rng`) is
    given.

    `w·x+b` is one fused node by default: the same numbers as micrograd's chain of `*` and `+`
    nodes, summed in the same order, about ten times faster. `fused=False` builds micrograd's
    graph node for node (`b + w0*x0 + w1*x1 ...`), for a drawing or a hand-written `_prev`
    walker that should see every product and sum.

    >>> n = Neuron(2, activation='tanh', seed=0)
    >>> y = n([1.0, -2.0])
    >>> y.op, y.parents[0].op
    ('tanh', 'w·x+b')
    >>> Neuron(2, activation='tanh', seed=0, fused=False)([1.0, -2.0]).parents[0].op
    '+'
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        init: str = "uniform",
        nonlin: bool | None = None,
        *,
        fan_out: int = 1,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        nin = positive_integer(nin, "Neuron nin")
        if not isinstance(fused, bool):
            raise TypeError(f"Neuron fused must be True or False, got {fused!r}")
        self.fused = fused
        if isinstance(activation, bool):  # micrograd's signature, called positionally: Neuron(nin, nonlin)
            activation, nonlin = "relu", activation
        if nonlin is not None:
            activation = _activation(activation) if nonlin else "linear"
        self.activation = _activation(activation)
        if seed is not None:
            rng = random.Random(seed)
        self.w = [Value(x, label=f"w{i}") for i, x in enumerate(_draw_weights(nin, fan_out, init, rng))]
        self.b = Value(0.0, label="b")

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: does the neuron apply a nonlinearity?"""
        return self.activation != "linear"

    def __call__(self, x: _Inputs) -> Value:
        x = _lifted(_as_inputs(x, len(self.w), "Neuron"))
        return self._forward(x, [v.data for v in x])

    def _forward(self, x: Sequence[Value], x_data: list[float], meta: Meta | None = None) -> Value:
        # the neuron's arithmetic, for inputs already checked and lifted to Values, with their
        # data read out (a Layer does both once for all its neurons).
        activation = _ACTIVATION_OPS[self.activation]
        if not self.fused:  # micrograd's Neuron, node for node
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
            return cast(Value, activation(act)) if activation is not None else act  # (a primitive of a Value is one)
        # w · x + b is one fused node, summed in micrograd's order (bias first, then each
        # product in turn), so a ported script computes the same numbers about ten times faster
        act = _node(
            linear_primitive, weighted_sum([p.data for p in self.w], x_data, self.b.data), (*self.w, *x, self.b)
        )
        # its node made here as act.relu() would make it: nn makes its nodes as the layer's
        # forward reads them, with one call fewer per neuron
        out = _node(activation, activation.forward(act.data), (act,)) if activation is not None else act
        if meta is not None:  # the Layer did not enter this neuron's scope: tag its two nodes
            act._meta = out._meta = meta
        return out

    def __repr__(self) -> str:
        unfused = "" if self.fused else ", fused=False"
        return f"Neuron({len(self.w)}, activation={self.activation!r}{unfused})"


class _NeuronOptions(TypedDict, total=False):
    # what a Layer hands every Neuron it makes (`seed` becomes the layer's `rng`)
    activation: str
    init: str
    nonlin: bool | None
    seed: int | None
    rng: random.Random | None
    fused: bool


class Layer(Module):
    """`nout` neurons that all read the same inputs; returns their outputs as a list.

    With `nout == 1` it returns the single Value (as micrograd does), so a network ending in
    one neuron gives a scalar. `neuron_options` go to every Neuron (`activation`, `init`,
    `nonlin`, `seed`, `rng`, `fused`).

    >>> layer = Layer(3, 2, seed=0)
    >>> len(layer([1.0, 2.0, 3.0])), type(Layer(3, 1, seed=0)([1.0, 2.0, 3.0])).__name__
    (2, 'Value')
    """

    def __init__(self, nin: int, nout: int, **neuron_options: Unpack[_NeuronOptions]) -> None:
        nout = positive_integer(nout, "Layer nout")
        seed = neuron_options.pop("seed", None)
        if seed is not None:
            neuron_options["rng"] = random.Random(seed)  # one generator for the layer, not one per neuron
        self.neurons: list[Neuron] = []
        for j in range(nout):
            with scope(f"neurons.{j}"):
                self.neurons.append(Neuron(nin, fan_out=nout, **neuron_options))
        self._scopes = [scope(f"neurons.{j}") for j in range(nout)]

    def __call__(self, x: _Inputs) -> Value | list[Value]:
        out = self._forward(_lifted(_as_inputs(x, len(self.neurons[0].w), "Layer")))
        return out[0] if len(out) == 1 else out

    def _forward(self, x: Sequence[Value], within: _Scope | None = None) -> list[Value]:
        # the layer's arithmetic, for inputs already checked and lifted to Values. `within` is
        # the caller's block for this layer (an MLP's `layers.i`), handed over rather than entered
        x_data = [v.data for v in x]
        metas: Sequence[Meta | None] | None = _metas_inside(self._scopes, within)
        if metas is None:  # anomaly mode: each node records where it was made, inside its scope
            metas = [None] * len(self.neurons)
        out: list[Value] = []
        for block, meta, neuron in zip(self._scopes, metas, self.neurons):
            if meta is not None and type(neuron) is Neuron and neuron.fused:
                # a neuron makes two nodes: rather than enter its scope (a third of its cost),
                # it tags them with the scope's Meta; and with no block open, making a node
                # does not read the mode (a tenth of the forward pass, callgrind)
                out.append(neuron._forward(x, x_data, meta))
            else:  # a subclass or an unfused neuron makes other nodes: they belong in its scope too
                with within if within is not None else _NO_BLOCK, block:
                    out.append(neuron._forward(x, x_data))
        return out

    def __repr__(self) -> str:
        first = self.neurons[0]
        unfused = "" if first.fused else ", fused=False"
        return f"Layer({len(first.w)}, {len(self.neurons)}, activation={first.activation!r}{unfused})"


class MLP(Module):
    """A multi-layer perceptron: layers of sizes `nouts`, each feeding the next.

    Hidden layers use `activation`, the last one `output_activation`. `MLP(2, [16, 16, 1])` is
    micrograd's network (ReLU hidden layers, linear output); the lecture's is
    `MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh')`. `fused=False` builds
    micrograd's graph node for node (see Neuron); the default fused `w·x+b` nodes train faster.

    >>> model = MLP(3, [4, 4, 1], activation='tanh', output_activation='tanh', seed=0)
    >>> y = model([2.0, 3.0, -1.0])
    >>> -1 < y.data < 1, y.scope
    (True, 'layers.2.neurons.0')
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        seed: int | None = None,
        fused: bool = True,
    ) -> None:
        nin = positive_integer(nin, "MLP nin")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise TypeError(f"MLP nouts must be a non-empty list of layer sizes, got {nouts!r}")
        sizes = [nin] + [positive_integer(n, "MLP layer size") for n in nouts]
        activation, output_activation = _activation(activation), _activation(output_activation)
        _init_name(init)
        rng = random.Random(seed) if seed is not None else None  # None: Python's global random, as micrograd
        self.layers: list[Layer] = []
        for i in range(len(nouts)):
            kind = output_activation if i == len(nouts) - 1 else activation
            with scope(f"layers.{i}"):
                self.layers.append(Layer(sizes[i], sizes[i + 1], activation=kind, init=init, rng=rng, fused=fused))
        self._scopes = [scope(f"layers.{i}") for i in range(len(nouts))]
        self.sizes = sizes

    def __call__(self, x: _Inputs) -> Value | list[Value]:
        x = _lifted(_as_inputs(x, self.sizes[0], "MLP"))  # outside every layer: the inputs belong to the caller
        values = True  # x holds Values: the inputs lifted, then a Layer's outputs (lifting again costs 1% of a step)
        for block, layer in zip(self._scopes, self.layers):
            if values and type(layer) is Layer:  # it takes its block along: no block is open as its neurons run
                inputs = cast("Sequence[Value]", _as_inputs(x, len(layer.neurons[0].w), "Layer"))
                out = layer._forward(inputs, block)
                x = out[0] if len(out) == 1 else out  # (as Layer.__call__ returns it)
            else:  # a module of the learner's own, or one after it
                with block:
                    x = layer(x)
            values = type(layer) is Layer
        return cast("Value | list[Value]", x)  # a layer's output: an MLP has at least one

    def to_torch(self) -> object:
        """An equivalent `torch.nn.Sequential` (float64, same weights). Needs PyTorch."""
        from nn.export import to_torch

        return to_torch(self)

    def __repr__(self) -> str:
        lines = [f"MLP({self.sizes[0]}, {self.sizes[1:]}, {len(self.parameters())} parameters)"]
        lines += [f"  layers.{i}: {layer!r}" for i, layer in enumerate(self.layers)]
        return "\n".join(lines)


# --- checks at the boundary, and initialisation ---------------------------------------------


def is_module(x: object) -> TypeGuard[Module]:
    """Something with a `parameters()` method: an nn.Module, or any object shaped like one."""
    return callable(getattr(x, "parameters", None))


def as_parameters(params: object, who: str) -> list[Value]:
    """The Values `params` stands for, as a list: a Module's `parameters()`, or an iterable of Values.

    Anything else (a lone Value too: pass `[v]`) raises TypeError naming `who`.

    >>> len(as_parameters(MLP(2, [3, 1], seed=0), "SGD")), as_parameters([Value(1.0)], "SGD")[0].data
    (13, 1.0)
    """
    if is_module(params):
        params = params.parameters()
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(f"{who} needs an iterable of Values, got {type(params).__name__}")
    values = list(params)
    for i, p in enumerate(values):
        if not isinstance(p, Value):
            raise TypeError(f"{who} params[{i}] must be a Value, got {type(p).__name__}")
    return values


# each initialisation by name: weights are drawn from [-bound, bound], bound(fan_in, fan_out)
_INIT_BOUNDS: dict[str, Callable[[int, int], float]] = {
    # micrograd: random.uniform(-1, 1), whatever the layer's size
    "uniform": lambda nin, fan_out: 1.0,
    # Glorot: variance bound²/3 = 2 / (fan_in + fan_out)
    "xavier": lambda nin, fan_out: math.sqrt(6.0 / (nin + fan_out)),
    # Kaiming/He: variance 2 / fan_in keeps ReLU activations' scale
    "he": lambda nin, fan_out: math.sqrt(6.0 / nin),
}
INITS = tuple(_INIT_BOUNDS)


def _draw_weights(nin: int, fan_out: int, init: str, rng: random.Random | None) -> list[float]:
    source = rng if rng is not None else random
    bound = _INIT_BOUNDS[_init_name(init)](nin, fan_out)
    return [source.uniform(-bound, bound) for _ in range(nin)]


def _init_name(init: object) -> str:
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(map(repr, INITS))}; got {init!r}")
    return init


def _activation(name: object) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(map(repr, ACTIVATIONS))}; got {name!r}")
    return name


def _as_inputs(x: object, n: int, who: str) -> Sequence[Value | float]:
    """The input as a list/tuple of n numbers or Values (a lone number is fine when n == 1)."""
    if type(x) is list or type(x) is tuple:
        if len(x) == n:
            return x
    elif isinstance(x, (Value, numbers.Real)):
        x = [x]
    else:
        try:
            x = list(cast("Iterable[object]", x))  # (list() itself refuses a non-iterable)
        except TypeError:
            raise TypeError(f"{who} input must be a list of {n} numbers or Values, got {type(x).__name__}") from None
    if len(x) != n:
        raise ValueError(f"{who} expects {n} input(s), got {len(x)}")
    return cast("Sequence[Value | float]", x)  # each item is checked where it becomes a Value (_lifted)


def _lifted(x: Sequence[Value | float]) -> Sequence[Value]:
    """Numbers become input leaves x0, x1, ... once, so all neurons share them (as in micrograd's
    demo, which wraps its inputs in Values) instead of each neuron making its own copies."""
    if all(type(xi) is Value for xi in x):
        return cast("Sequence[Value]", x)  # (all Values: just checked)
    return [xi if isinstance(xi, Value) else Value(xi, label=f"x{i}") for i, xi in enumerate(x)]


def _public_attributes(module: Module) -> list[tuple[str, object]]:
    return [(name, attr) for name, attr in vars(module).items() if not name.startswith("_")]


def _finite_float(x: float) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int too large for a float
        return False


def _listing(names: Sequence[object], limit: int = 8) -> str:
    shown = ", ".join(name if isinstance(name, str) else repr(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
