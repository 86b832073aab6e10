"""From scalars to tensors: the same MLP as a `torch.nn.Sequential`, weights and all.

A chainrule MLP computes, layer by layer, y = activation(W x + b), one scalar at a time. PyTorch
computes the very same thing with one matrix product per layer. `to_torch` copies each layer's
neuron weights into the rows of a `torch.nn.Linear` (float64, so nothing is rounded away), so a
learner who outgrows scalars continues in PyTorch with the model they already trained — and can
check that both give the same outputs and the same gradients.

PyTorch is optional: it is imported only when `to_torch` is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeGuard

from engine import Value
from engine.extras import require_extra

__all__ = ["to_torch"]


# What to_torch reads, by attribute: an MLP has `layers`, a Layer has `neurons`, a Neuron has `w`,
# `b` and `activation`. Reading attributes rather than checking classes keeps this file free of
# nn/module.py, which imports it (MLP.to_torch): the two never import each other.
class _Neuron(Protocol):
    @property
    def w(self) -> Sequence[Value]: ...
    @property
    def b(self) -> Value: ...
    @property
    def activation(self) -> str: ...


class _Layer(Protocol):
    @property
    def neurons(self) -> Sequence[_Neuron]: ...


class _Network(Protocol):
    @property
    def layers(self) -> Sequence[_Layer]: ...


def to_torch(model: _Network | _Layer) -> object:
    """An equivalent `torch.nn.Sequential` of float64 Linear layers and activations.

    `model` is an MLP (its `layers`) or a Layer (its `neurons`). Row j of a layer's weight matrix
    is neuron j's `w`; its bias entry is neuron j's `b`.
    """
    torch = require_extra("torch", "torch", "to_torch")
    stack = getattr(model, "layers", None)
    if _is_layer(model):
        layers = [model]
    elif isinstance(stack, (list, tuple)) and all(_is_layer(layer) for layer in stack):
        layers = list(stack)
    else:
        raise TypeError(f"to_torch converts an MLP or a Layer, got {type(model).__name__}")
    activations = {
        "relu": torch.nn.ReLU,
        "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid,
        "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),  # the engine's default slope, and torch's
    }
    modules = []
    for layer in layers:
        nin, nout = len(layer.neurons[0].w), len(layer.neurons)
        linear = torch.nn.Linear(nin, nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        kind = layer.neurons[0].activation
        if kind != "linear":
            modules.append(activations[kind]())
    return torch.nn.Sequential(*modules)


def _is_layer(x: object) -> TypeGuard[_Layer]:
    """A non-empty list of neurons, each with weights `w`, a bias `b` and an `activation` name."""
    neurons = getattr(x, "neurons", None)
    return (
        isinstance(neurons, (list, tuple))
        and len(neurons) > 0
        and all(hasattr(n, "w") and hasattr(n, "b") and hasattr(n, "activation") for n in neurons)
    )
