"""chainrule's neural-network package: from a neuron to a trained model, built on `engine`.

`engine` knows scalars and the chain rule; `nn` adds what training needs: modules whose
parameters are Values (module.py), losses (losses.py), what each loss name asks of labels and
outputs (tasks.py), optimizers (optim.py), toy datasets (data.py), the training loop (train.py),
gradient-health measurements and clipping (health.py), and saving to JSON (io.py). `nn`
imports from `engine`, never the reverse.

>>> import random; random.seed(1337)
>>> import nn
>>> X, y = nn.make_moons(30, seed=0)
>>> history = nn.fit(nn.MLP(2, [8, 8, 1]), X, y, steps=20, progress=False)
>>> history
History(20 steps: loss 0.7463 -> 0.3418, accuracy 66.7% -> 86.7%; gradients ok)
"""

from __future__ import annotations

from engine._version import __version__ as __version__
from nn import losses, optim
from nn.boundary import plot_decision_boundary, predict
from nn.data import make_blobs, make_circles, make_moons, make_spirals
from nn.flow import draw_grad_flow, plot_grad_flow
from nn.health import LayerStats, clip_grad_norm, clip_grad_value, grad_stats
from nn.io import load, save
from nn.module import MLP, Layer, Module, Neuron
from nn.optim import SGD, Adam, AdamW
from nn.train import History, fit

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "losses",
    "optim",
    "SGD",
    "Adam",
    "AdamW",
    "clip_grad_norm",
    "clip_grad_value",
    "make_moons",
    "make_circles",
    "make_blobs",
    "make_spirals",
    "fit",
    "History",
    "grad_stats",
    "LayerStats",
    "save",
    "load",
    "draw_grad_flow",
    "plot_grad_flow",
    "predict",
    "plot_decision_boundary",
]
