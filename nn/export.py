"""From scalars to tensors: the same MLP as a `torch.nn.Sequential`, weights and all.

A chainrule MLP computes, layer by layer, y = activation(W x + b), one scalar at a time. PyTorch
computes the very same thing with one matrix product per layer. `to_torch` copies each layer's
neuron weights into the rows of a `torch.nn.Linear` (float64, so nothing is rounded away), so a
learner who outgrows scalars continues in PyTorch with the model they already trained — and can
check that both give the same outputs and the same gradients.

PyTorch is optional: it is imported only when `to_torch` is called.
"""

from __future__ import annotations

from nn.module import MLP, Layer

__all__ = ["to_torch"]


def to_torch(model: MLP | Layer) -> object:
    """An equivalent `torch.nn.Sequential` of float64 Linear layers and activations.

    Row j of a layer's weight matrix is neuron j's `w`; its bias entry is neuron j's `b`.
    """
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch needs PyTorch: pip install torch (see https://pytorch.org)") from None
    if isinstance(model, Layer):
        layers = [model]
    elif isinstance(model, MLP):
        layers = model.layers
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
