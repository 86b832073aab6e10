# %% [markdown]
# # Exercises 2 — The backward pass, built yourself
#
# Goes with lesson 2. Each task is a code cell ending in `# YOUR CODE HERE` and
# `raise NotImplementedError`: replace those two lines with your code. The cell after each task
# checks it and prints ✓, or ✗ with what is wrong and a hint. Run the cells in order.

# %%
import math

from checks import check_gradients_like_backward, check_mini_value, check_topological_order

from engine import Value


def neuron():
    """The lecture's neuron, freshly built: its output and its five leaves (x1, w1, x2, w2, b)."""
    x1, w1, x2, w2 = Value(2.0, label="x1"), Value(-3.0, label="w1"), Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    return (x1 * w1 + x2 * w2 + b).tanh(), [x1, w1, x2, w2, b]


# %% [markdown]
# ## Task 1: `build_topo`
#
# Write `build_topo(root)`: a list of every Value `root` depends on (itself included), each after
# all of its inputs (`v._prev`), each exactly once. This is the order the backward walk reverses.

# %%
def build_topo(root):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
a = Value(3.0, label="a")
b = a + a
check_topological_order("build_topo", build_topo, [neuron()[0], a * a + a, b + b])

# %% [markdown]
# ## Task 2: the walk
#
# Write `backward(root)`: seed $\partial\,\text{root}/\partial\,\text{root} = 1$, then call each
# node's own chain-rule step `_backward()`, users before what they use (your `build_topo`, reversed).

# %%
def backward(root):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
o, leaves = neuron()
backward(o)
check_gradients_like_backward(
    "backward", [v.grad for v in leaves], neuron, hint="seed root.grad = 1.0 and walk reversed(build_topo(root))"
)

# %% [markdown]
# ## Task 3: a Value of your own
#
# Write a ~40-line `Mini`: a number that remembers how it was made and can backpropagate, as
# micrograd does. It needs `data`, `grad` (starting at 0), `_prev` (the Values it was made from),
# `_backward` (its chain-rule step; a leaf's does nothing), `+`, `*`, `tanh()` and `backward()`.
# For each op: compute `out`, then give it a closure that adds each input's share,
# *input.grad += (local derivative) × out.grad*.
#
# The classic bug waits here: write `=` instead of `+=` in a `_backward` and `b = a + a` gives
# $db/da = 1$, not 2. If the check says so, you have met it.

# %%
class Mini:
    def __init__(self, data, _children=()):
        # YOUR CODE HERE
        raise NotImplementedError

    def __add__(self, other):
        # YOUR CODE HERE
        raise NotImplementedError

    def __mul__(self, other):
        # YOUR CODE HERE
        raise NotImplementedError

    def tanh(self):
        # YOUR CODE HERE
        raise NotImplementedError

    def backward(self):
        # YOUR CODE HERE
        raise NotImplementedError


# %%
check_mini_value("Mini", Mini)


# %% [markdown]
# ## Task 4: backprop through a 2-2-1 net, by hand
#
# A tiny network: two inputs, two tanh hidden units, one linear output, squared-error loss.
#
# $$h_i = \tanh(w_{i1} x_1 + w_{i2} x_2 + b_i),\quad y = v_1 h_1 + v_2 h_2 + c,\quad L = (y - t)^2$$
#
# With plain floats (no Values), run the forward pass, then walk back one layer at a time:
# $\partial L/\partial y = 2(y - t)$; the output layer's gradients from it; then
# $\partial L/\partial h_i = v_i\,\partial L/\partial y$ and through tanh,
# $\partial L/\partial n_i = (1 - h_i^2)\,\partial L/\partial h_i$; then the first layer's.
# Give `grads`, the nine numbers in the order of `params`.

# %%
x1, x2, t = 1.0, -2.0, 0.5
params = {"w11": 0.3, "w12": -0.6, "b1": 0.1, "w21": 0.8, "w22": 0.2, "b2": -0.1, "v1": 1.5, "v2": -0.7, "c": 0.2}
w11, w12, b1, w21, w22, b2, v1, v2, c = params.values()
# YOUR CODE HERE
raise NotImplementedError


# %%
def net():
    """The same net built from Values: the loss and its nine parameters, in the order of `params`."""
    leaves = [Value(p, label=name) for name, p in params.items()]
    w11_, w12_, b1_, w21_, w22_, b2_, v1_, v2_, c_ = leaves
    h1_ = (w11_ * x1 + w12_ * x2 + b1_).tanh()
    h2_ = (w21_ * x1 + w22_ * x2 + b2_).tanh()
    return (v1_ * h1_ + v2_ * h2_ + c_ - t) ** 2, leaves


check_gradients_like_backward(
    "the 2-2-1 net's nine gradients",
    grads,
    net,
    names=list(params),
    hint="start from dL/dy = 2(y - t); dL/dv1 = dL/dy · h1; dL/dh1 = dL/dy · v1; dL/dn1 = (1 - h1²) · dL/dh1; "
    "dL/dw11 = dL/dn1 · x1",
)
