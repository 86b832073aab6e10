"""Optimizers: turn each parameter's gradient into a small step downhill.

After `loss.backward()`, `p.grad` says how the loss changes as `p` grows, so moving `p` a little
against it lowers the loss. Plain gradient descent (micrograd's demo) is `p.data -= lr * p.grad`.
The optimizers here refine that step the way `torch.optim` does, update for update:

- `SGD`: optionally with momentum (a running sum of past steps, which rolls through small
  bumps and damps zig-zags), Nesterov's look-ahead variant, and weight decay (an L2 penalty);
- `Adam`: divides each step by a running root-mean-square of that parameter's gradients, so
  every parameter moves at a similar pace whatever the scale of its gradient;
- `AdamW`: Adam with weight decay applied to the weights directly instead of through the
  gradient (which Adam's rescaling would otherwise dilute).

`lr` is a number or a schedule: any callable of the 0-based step count, e.g. micrograd's
`lambda k: 1.0 - 0.9 * k / 100`.

>>> from engine import Value
>>> w = Value(3.0)
>>> opt = SGD([w], lr=0.1)
>>> for _ in range(100):
...     opt.zero_grad(); loss = (w - 1) ** 2; loss.backward(); opt.step()
>>> round(w.data, 6)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from engine import Value
from engine.checks import is_real, require
from nn.module import as_parameters

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "OPTIMIZERS"]

Schedule = Callable[[int], float]


class Optimizer:
    """What every optimizer shares: its parameters, its learning rate and a step counter.

    `params` is an iterable of Values (or a Module, meaning its `parameters()`).
    `step_count` counts the steps taken so far; `lr_now()` is the rate the next step will use.
    """

    def __init__(self, params: Iterable[Value], lr: float | Schedule) -> None:
        self.params = as_parameters(params, type(self).__name__)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not callable(lr):
            lr = _non_negative(lr, "lr")
        self.lr = lr
        self.step_count = 0

    def lr_now(self) -> float:
        """The learning rate for the next step (the schedule evaluated at the step count)."""
        if callable(self.lr):
            return _non_negative(self.lr(self.step_count), f"lr schedule at step {self.step_count}")
        return self.lr

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0, ready for the next backward."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        lr = getattr(self.lr, "__name__", "schedule") if callable(self.lr) else self.lr
        return f"{type(self).__name__}({len(self.params)} parameters, lr={lr}, step {self.step_count})"


class SGD(Optimizer):
    """Stochastic gradient descent, as `torch.optim.SGD` (with dampening 0).

    Each step, with g = grad + weight_decay·p:
    momentum 0: p -= lr·g. Otherwise v = momentum·v + g (v = g on the first step) and
    p -= lr·v, or with Nesterov p -= lr·(g + momentum·v).

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> SGD([w], lr=0.1).step(); w.data
    0.8
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float | Schedule,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _non_negative(momentum, "momentum")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs a momentum above 0")
        self.nesterov = bool(nesterov)
        self.velocity: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        lr, momentum, decay = self.lr_now(), self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            if not p.requires_grad:
                continue  # frozen: as in PyTorch, not even weight decay moves it
            g = p.grad + decay * p.data if decay else p.grad  # d/dp of (decay/2)·p² is decay·p
            if momentum:
                v = self.velocity[i]
                v = g if v is None else momentum * v + g
                self.velocity[i] = v
                g = g + momentum * v if self.nesterov else v
            p.data -= lr * g
        self.step_count += 1


class Adam(Optimizer):
    """Adam, as `torch.optim.Adam`: steps scaled by running moments of the gradient.

    With t the step number (from 1) and g = grad + weight_decay·p:
    m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², and
    p -= lr/(1-β1^t) · m / (sqrt(v/(1-β2^t)) + eps). Dividing by 1-β^t undoes the bias of
    moments that started at 0.

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 123.0
    >>> Adam([w], lr=0.1).step(); round(w.data, 6)  # the first step is lr, whatever the scale
    0.9
    """

    decoupled = False  # AdamW sets this: weight decay on the weights, not through the gradient

    def __init__(
        self,
        params: Iterable[Value],
        lr: float | Schedule = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"betas must be a pair of numbers, got {betas!r}") from None
        for name, beta in (("betas[0]", beta1), ("betas[1]", beta2)):
            if not _non_negative(beta, name) < 1:
                raise ValueError(f"{name} must be in [0, 1), got {beta!r}")
        self.betas = (float(beta1), float(beta2))
        self.eps = _non_negative(eps, "eps")
        self.weight_decay = _non_negative(weight_decay, "weight_decay")
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        lr, (beta1, beta2), eps, decay = self.lr_now(), self.betas, self.eps, self.weight_decay
        t = self.step_count + 1
        step_size = lr / (1 - beta1**t)
        correction2_sqrt = math.sqrt(1 - beta2**t)
        for i, p in enumerate(self.params):
            if not p.requires_grad:
                continue  # frozen: as in PyTorch, not even weight decay moves it
            g = p.grad
            if decay:
                if self.decoupled:
                    p.data *= 1 - lr * decay  # AdamW: shrink the weight itself
                else:
                    g = g + decay * p.data  # Adam: L2 penalty through the gradient
            m = self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
            v = self.v[i] = beta2 * self.v[i] + (1 - beta2) * g * g
            p.data -= step_size * m / (math.sqrt(v) / correction2_sqrt + eps)
        self.step_count = t


class AdamW(Adam):
    """Adam with decoupled weight decay (`torch.optim.AdamW`): p *= 1 - lr·weight_decay, then Adam.

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 0.0
    >>> AdamW([w], lr=0.1, weight_decay=0.5).step(); w.data
    0.95
    """

    decoupled = True

    # the same arguments as Adam, written out so the signature shows torch's default decay
    def __init__(
        self, params: Iterable[Value], lr: float | Schedule = 1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


# the optimizers by name: what a task suggests (nn/tasks.py) and `chainrule train --optimizer` offers
OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}


def _non_negative(x: float, what: str) -> float:
    require(is_real(x) and x >= 0 and not math.isinf(x), what, "a finite number >= 0", x)
    return float(x)
