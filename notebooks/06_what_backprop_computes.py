# %% [markdown]
# # Lesson 6 — What backpropagation computes
#
# Every call of `backward()` walks the graph node by node: for each node, look up its primitive,
# ask for the local derivatives, multiply by the node's gradient, add into each input's gradient.
# When the graph has the same shape every time (the same network, on a batch of the same size),
# that walk performs *exactly the same arithmetic* every time, only on new numbers.
#
# So we can write that arithmetic down once, as plain Python, and run it instead of the walk.
# That is what `engine.compile` does:
#
# 1. it calls your function once with Values, recording the graph (a *trace*);
# 2. it writes out, line by line, the forward pass and the backward pass of that graph, as
#    arithmetic on floats;
# 3. every later call runs that code on the parameters' current values and your new arguments,
#    and adds the gradients into each parameter's `.grad`, exactly as `backward()` would.
#
# The code it writes is something you can read: it is, literally, what backpropagation computes.
# This lesson reads it for the lecture's neuron, then looks at kinks, the one rule compiled code
# depends on, and what all this buys in speed.

# %%
from engine import Value, compile, topological_order

# the lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), every node labelled
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")


def neuron():
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1w1x2w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


step = compile(neuron)
print("o =", step())
print(step.source)

# %% [markdown]
# ## 1. Reading the code
#
# **The leaves.** `neuron` takes no arguments: the five leaves are Values it reads from the
# notebook's variables, so they are *parameters*. The code reads their current `.data` on every call
# (`params[k]` is the k-th of them), so an optimizer can change them between calls.
#
# **The forward pass** is the graph, one operation per line, in the order it was built. Each line
# computes what that node's `.data` would hold. `tanh(n)` is the primitive's own forward function.
#
# **The backward pass** goes the other way. It starts from $\partial o/\partial o = 1$ and then
# gives every node its gradient as a sum over the nodes that *use* it:
#
# $$\frac{\partial o}{\partial v} \;=\; \sum_{u \text{ uses } v} \frac{\partial o}{\partial u}\cdot\frac{\partial u}{\partial v}$$
#
# Read it line by line:
#
# - `n_grad = o_grad * (1 - o * o)`: tanh's local derivative, $1 - \tanh^2$. This is not
#   retyped by the compiler: it is tanh's rule from the table of primitives, `lambda out, x: 1 - out * out`,
#   inlined with `out` replaced by the variable `o`.
# - `x1w1x2w2_grad = n_grad`: a `+` passes the gradient through unchanged (its local derivative is 1).
# - `params[2].grad += x1w1_grad * x1`: for a product $x_1 w_1$, $\partial/\partial w_1 = x_1$.
#   A leaf's `.grad` *accumulates* (`+=`), exactly as `backward()` does.
#
# The numbers are the lecture's: let us check them against `backward()` and against the hand-derived values
# ($\partial o/\partial n = 1 - o^2 = 1/2$, then the products pass it on).

# %%
leaves = [x1, x2, w1, w2, b]
compiled = {v.label: v.grad for v in leaves}

for v in leaves:
    v.grad = 0.0
neuron().backward()
by_backward = {v.label: v.grad for v in leaves}

by_hand = {"x1": -3.0 * 0.5, "x2": 1.0 * 0.5, "w1": 2.0 * 0.5, "w2": 0.0 * 0.5, "b": 0.5}
print(f"{'leaf':<5}{'compiled':>12}{'backward()':>12}{'by hand':>10}")
for name in by_hand:
    print(f"{name:<5}{compiled[name]:>12.6f}{by_backward[name]:>12.6f}{by_hand[name]:>10.4f}")

# %% [markdown]
# The graph those lines were written from: one box per line of the forward pass, and in each box
# the gradient its `_grad` line computes (drawn here from `backward()`, which gives the same numbers).

# %%
from engine import draw_dot

for v in leaves:
    v.grad = 0.0
o = neuron()
o.backward()
draw_dot(o, rankdir="TB")  # top to bottom: fits a notebook column

# %% [markdown]
# Same numbers: not just close, the same floats, because the compiled code performs the same
# operations in the same order (the contributions into a gradient are added in the order the backward
# walk adds them).
#
# ## 2. Arguments, parameters and constants
#
# A function can also take arguments. Floats you pass become the graph's *inputs*: the code reads
# them from `inputs[...]`, so the next call can pass new ones. Numbers written inside the function
# (the `1.0` below, the `0.5`) are *constants*: they are baked into the code as literals.

# %%
w = Value(0.5, label="w")
c = Value(-1.0, label="c")

score = compile(lambda x: (w * x + c).tanh() * 0.5 + 1.0)
print(score(2.0), score(3.0))
print(score.source)

# %% [markdown]
# Here the unlabelled intermediate `w * x + c` is used once and read by no derivative, so it
# is written *inside* the expression that uses it instead of getting its own line. Labelled nodes
# always get a line of their own; `compile(fn, fuse=False)` gives every node one.
#
# ## 3. Kinks are computed, not traced
#
# A ReLU's output and its derivative depend on which side of 0 its input falls. That is a
# *data-dependent* choice, and the trace must not freeze it. It doesn't: the relu's forward and its
# derivative come from the table of primitives as formulas with a condition, evaluated on every call.

# %%
relu_unit = compile(lambda x: (w * x + c).relu())
relu_unit(1.0)
print("\n".join(line for line in relu_unit.source.splitlines() if "if" in line))

for x in [4.0, 1.0, -2.0]:  # w*x + c = 1.0, -0.5, -2.0: both sides of the kink
    w.grad = 0.0
    value = relu_unit(x)
    print(f"x = {x:5}: relu(w*x + c) = {value:4}, d/dw = {w.grad}")

# %% [markdown]
# With $w = 0.5, c = -1$: at $x = 4$ the unit is active and $\partial/\partial w = x = 4$; at
# $x = 1$ and $x = -2$ it is off and the gradient is 0, just as `backward()` says.
#
# ## 4. The one rule
#
# The compiled code replays the graph of the first call. So **the graph's shape must not depend on
# data values**. Python control flow on `.data` (an `if`) is invisible in the graph: the trace
# follows one branch, and the code would keep it forever. `compile` checks the first repeated call
# against a fresh trace, so a function whose branch has flipped by then raises instead of computing
# something else; a branch that flips only later is not caught, which is why the rule matters. (A new
# *number* or *nesting* of arguments is fine: it is traced again, once per shape.)

# %%
import textwrap


def shape_depends_on_data(x):
    if x.data > 0:  # a Python branch on a value: not part of the graph
        return w * x
    return (w * x).tanh()


guarded = compile(shape_depends_on_data)
print(guarded(1.0))
try:
    guarded(-1.0)
except ValueError as error:
    print(textwrap.fill(f"ValueError: {error}", 100))

# %% [markdown]
# ## 5. What it buys
#
# Each `backward()` builds a Python object per node of the graph and walks them all, thousands for a
# small network on a batch; the compiled code does the same arithmetic on plain floats, making no
# nodes at all. And when the same piece of graph repeats (the model run on each sample of the batch),
# the compiler notices that it repeats with the same shape and writes it once, as the body of a loop
# over the samples.
#
# Training micrograd's two-moons network with and without it (same seed, so the same numbers):

# %%
import random
import time

import nn

X, y = nn.make_moons(100, seed=0)
histories = {}
for compiled in (False, True):
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    start = time.perf_counter()
    histories[compiled] = nn.fit(model, X, y, steps=20, progress=False, compile=compiled)
    print(f"compile={compiled!s:<5}  {time.perf_counter() - start:5.2f} s   {histories[compiled]}")

same = all(a == b for a, b in zip(histories[False].loss, histories[True].loss))
print("the same loss at every step:", same)

# %% [markdown]
# The compiled run includes tracing the graph and writing and compiling its code, once, at the
# first step. The head of the code `fit` generated for a batch shows the loop over the repeated
# piece (the network on one sample):

# %%
random.seed(1337)
model = nn.MLP(2, [16, 16, 1])
batch_loss = compile(lambda xs: sum(model(x) for x in xs))
batch_loss(X)
lines = batch_loss.source.splitlines()
nodes = len(topological_order(sum(model(x) for x in X)))  # the graph backward() would build and walk
print(f"{len(lines)} lines of code for a graph of {nodes} nodes ({len(model.parameters())} parameters, 100 samples)\n")
start = next(i for i, line in enumerate(lines) if "def pieces_forward" in line)
print("\n".join(line if len(line) <= 110 else line[:108] + " …" for line in lines[start - 2 : start + 8]))

# %% [markdown]
# ## Summary
#
# - Backpropagation, for a fixed graph, is a fixed list of multiplications and additions:
#   forward values, then each gradient as a sum of (user's gradient × local derivative).
# - `engine.compile(fn)` traces `fn` once and writes that list out as Python, using each
#   primitive's own forward and derivative rules, so the numbers are `backward()`'s.
# - Kinks stay correct because their conditions are in the code; the graph's *shape* must not
#   depend on data (checked on the first repeated call).
# - `nn.fit(..., compile=True)` uses it batch by batch: the same history in less time (section 5
#   prints both runs' seconds; the compiled one includes tracing and compiling, once).
#
# **Exercises:**
# [exercises/06_what_backprop_computes.ipynb](exercises/06_what_backprop_computes.ipynb): write the
# compiled code of a small function by hand, then diff it against `compile`'s.
