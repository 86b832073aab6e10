# %% [markdown]
# # Lesson 2 — The backward pass
#
# Lesson 1 ended with `o.backward()` filling in every gradient. This lesson opens it up:
#
# 1. the **order** of the walk: every node after all the nodes that use it (topological order, reversed);
# 2. the walk **by hand**, one node's `_backward()` at a time;
# 3. why each step **adds** (`+=`) to a gradient instead of setting it;
# 4. the walk as a sequence of **pictures**;
# 5. the walk **by hand** through a small network;
# 6. `gradcheck`: how to trust a derivative rule you wrote yourself.

# %%
from engine import Value, draw_dot, topological_order


def neuron():
    """The lecture's neuron, freshly built: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


# %% [markdown]
# ## 1. The order of the walk
#
# A node's gradient $\partial o/\partial \text{node}$ is complete only once every node that *uses* it
# has passed its share back. So the walk must visit users before what they use: the reverse of a
# **topological order** (an order in which every node comes after its inputs). chainrule computes that
# order with one iterative function, `topological_order`, which `backward()`, the drawings and the
# tools all share.

# %%
o = neuron()
order = topological_order(o)
for v in order:
    made_by = f"made by {v.op!r} from {[p.label for p in v.parents]}" if v.op else "a leaf"
    print(f"{v.label:<14} {made_by}")

# %% [markdown]
# Read it bottom-up and you have the backward walk: `o` first, then `n`, then the sum, then each
# product just before its own two leaves (`x2*w2`, then `w2` and `x2`), and `b` at the very end.
# Every node comes before the nodes it was made from; the leaves are not all last, and need not be.
#
# ## 2. The walk by hand
#
# Each node made by an operation has a `_backward()` method: its own little chain-rule step,
# *for each input: input.grad += (local derivative) × node.grad*. Seed the output with
# $\partial o/\partial o = 1$ and call `_backward()` on each node in reverse topological order:

# %%
o = neuron()
o.grad = 1.0  # d o / d o
for v in reversed(topological_order(o)):
    v._backward()
by_hand = {v.label: v.grad for v in topological_order(o)}

o2 = neuron()
o2.backward()
for v in topological_order(o2):
    print(f"{v.label:<14} by hand {by_hand[v.label]: .4f}   backward() {v.grad: .4f}")

# %% [markdown]
# Identical: `backward()` is exactly this loop (plus the seeding, and care for repeated calls).
# Where does a node's `_backward()` get its local derivative? From chainrule's table of primitives:
# each op's rule, looked up and multiplied by the node's gradient. This is the step itself, the
# code `backward()` runs at every node (a leaf has no rule, so it is skipped):

# %%
import inspect

from engine import value

print(inspect.getsource(value._chain_rule_steps))

# %% [markdown]
# `_a` and `_b` are the node's operands (`_b` is None for an op of one input), and
# `primitive.derivative(v.data, ...)` is the op's row in the table, called on the output and the
# inputs: for tanh, `1 - out * out`. Each share is *added* to a parent's grad (`+=`); section 3 says why.
#
# ## 3. Why gradients accumulate
#
# When a value is used twice, it influences the output along two paths, and its derivative is the
# **sum** of the two contributions (the multivariable chain rule). That is why every `_backward()`
# *adds* to `.grad`. With `b = a + a`, the derivative $db/da$ is 2, not 1:

# %%
a = Value(3.0, label="a")
b = a + a
b.backward()
print(f"b = a + a:      db/da = {a.grad}")

a = Value(3.0, label="a")
b = a * a  # a feeds both inputs of one multiplication
c = b + a  # ...and is used once more
c.backward()
print(f"c = a*a + a:    dc/da = {a.grad}   (by hand: 2a + 1 = {2 * 3.0 + 1})")

# %% [markdown]
# If `_backward()` *set* the gradient (`=`) instead of adding, the second use would overwrite the
# first and `db/da` would come out as 1 — the classic bug in a first autodiff engine. (Lesson 7
# writes that bug on purpose and shows how `gradcheck` names it; exercise 2 has you meet it.)
#
# The same `+=` means gradients also accumulate **across** calls to `backward()` on the leaves (as in
# PyTorch): reset them with `zero_grad()` before each training step.

# %%
x = Value(3.0)
y = x * x
y.backward()
print("after one backward:", x.grad)
y.backward()
print("after two:         ", x.grad, "(accumulated)")
x.zero_grad()
y.backward()
print("after zero_grad and one more:", x.grad)

# %% [markdown]
# ## 4. The walk in pictures
#
# `draw_dot(root, step=k)` draws the state after $k$ chain-rule steps. The node that just applied the
# chain rule is highlighted, together with the edges it fed; nodes not reached yet show their gradient
# as *pending*, and a gradient still waiting for more uses is marked *so far*. Take the graph with
# reuse from section 3, $c = a \cdot a + a$ at $a = 3$, before the walk:

# %%
a = Value(3.0, label="a")
b = a * a
b.label = "b"
c = b + a
c.label = "c"
draw_dot(c, step=0)

# %% [markdown]
# Step 1: the `+` that made `c` passes $\partial c/\partial c = 1$ to both of its inputs. `b` is
# complete, but `a` has only its first share (1): it is also used by `b`, whose step has not run yet,
# so its gradient is *so far*.

# %%
draw_dot(c, step=1)

# %% [markdown]
# Step 2: the `*` that made `b` adds $2a \cdot \partial c/\partial b = 6$ into `a`'s gradient (it
# feeds both inputs of the product, $3 + 3$), and $1 + 6 = 7 = 2a + 1$, the derivative by hand:

# %%
draw_dot(c, step=2)

# %% [markdown]
# `backward_widget(root)` plays every step with a slider and a play button (here on the neuron).
# The player is a self-contained web page in the cell's output: Jupyter shows it once the cell has
# run, and viewers that keep a notebook's HTML outputs whole (nbviewer) show it too; one that strips
# frames and scripts from them (GitHub's) shows nothing below, and the three pictures above are the
# static version of the walk. `backward_animation(root, "walk.html")` writes the same player
# as one self-contained web page (the command line too:
# `chainrule draw "tanh(x1*w1 + x2*w2 + b)" --at ... -o walk.html`).

# %%
from engine import backward_widget

backward_widget(neuron())

# %% [markdown]
# ## 5. By hand through a small network
#
# The same walk through a 2-2-1 network: two inputs, two tanh hidden units, one output, a squared
# error $L = (y - t)^2$. With plain floats, the forward pass first, then every gradient from the one
# after it, from the loss back to the first layer:

# %%
import math

x1, x2, t = 1.0, -2.0, 0.5
w11, w12, b1, w21, w22, b2, v1, v2, c0 = 0.3, -0.6, 0.1, 0.8, 0.2, -0.1, 1.5, -0.7, 0.2
h1 = math.tanh(w11 * x1 + w12 * x2 + b1)
h2 = math.tanh(w21 * x1 + w22 * x2 + b2)
y = v1 * h1 + v2 * h2 + c0
dy = 2 * (y - t)  # dL/dy
dh1, dh2 = v1 * dy, v2 * dy  # y = v1 h1 + v2 h2 + c: dy/dh1 = v1
dn1, dn2 = (1 - h1**2) * dh1, (1 - h2**2) * dh2  # through tanh: 1 - tanh²
hand = {"w11": dn1 * x1, "w12": dn1 * x2, "b1": dn1, "w21": dn2 * x1, "w22": dn2 * x2, "b2": dn2}
hand |= {"v1": dy * h1, "v2": dy * h2, "c": dy}

# the same net from Values, and backward()
leaves = {name: Value(v, label=name) for name, v in zip(hand, (w11, w12, b1, w21, w22, b2, v1, v2, c0))}
p = leaves
hidden = [(p["w11"] * x1 + p["w12"] * x2 + p["b1"]).tanh(), (p["w21"] * x1 + p["w22"] * x2 + p["b2"]).tanh()]
loss = (p["v1"] * hidden[0] + p["v2"] * hidden[1] + p["c"] - t) ** 2
loss.backward()
print(f"y = {y:.4f}, L = {(y - t) ** 2:.4f}, dL/dy = {dy:.4f}, dL/dh1 = {dh1:.4f}, dL/dh2 = {dh2:.4f}")
for name, value in hand.items():
    print(f"dL/d{name:<4} worked out {value: .6f}   backward() {leaves[name].grad: .6f}")

# %% [markdown]
# The nine gradients are the same numbers. Each layer's gradients came from the layer after it:
# that is why the walk goes backward, and why one walk gives every parameter's gradient.
#
# ## 6. Trusting a derivative: `gradcheck`
#
# Every operation's derivative rule is written by someone. `gradcheck(f, inputs)` compares what
# `backward()` gives with a numerical slope, $\frac{f(x+\epsilon) - f(x-\epsilon)}{2\epsilon}$, for
# every input:

# %%
from engine import gradcheck

print(gradcheck(lambda x, w, b: (x * w + b).tanh(), [2.0, -3.0, 0.5]))

# %% [markdown]
# Now an operation of our own, with a deliberately wrong rule: the cube $x^3$ whose derivative is
# (wrongly) written $2x^2$ instead of $3x^2$. `gradcheck` catches it, and `draw_dot(..., check=True)`
# marks the guilty node in red:

# %%
from engine import GradcheckError, primitive


@primitive("cube", derivative=lambda out, x: 2 * x**2)  # wrong on purpose: d x^3/dx = 3x^2
def cube(x):
    return x**3


try:
    gradcheck(lambda x: cube(x) + x, [1.5])
except GradcheckError as error:
    print("GradcheckError:", error)

# %%
x = Value(1.5, label="x")
y = cube(x) + x
y.label = "y"
y.backward()
draw_dot(y, check=True)

# %% [markdown]
# Two different numbers, both right, because they answer two different questions:
#
# - `gradcheck` looks at the **whole function**, $y = x^3 + x$: `backward()` gives
#   $dy/dx = 2x^2 + 1 = 5.5$ at $x = 1.5$ (the wrong cube rule, plus 1 from the `+ x`), the
#   central difference gives the true $3x^2 + 1 = 7.75$.
# - the red node looks at **one op**, the cube alone: its rule gives the local derivative
#   $2x^2 = 4.5$, its slope (a central difference of the op by itself) is $3x^2 = 6.75$.
#
# The gap is the same, 2.25, in both; `gradcheck` says *that* a gradient is wrong, the red node says
# *which op* to fix.

# %% [markdown]
# **Takeaways.** Backpropagation is one walk over the graph in reverse topological order; at each
# node the chain rule sends the node's gradient to its inputs, multiplied by the local derivative,
# and *adds* it there. A picture per step shows the walk, and `gradcheck` compares every rule with a
# numerical slope.
#
# **Exercises:** [exercises/02_backward_pass.ipynb](exercises/02_backward_pass.ipynb): write
# `build_topo`, the walk and a mini `Value` of your own (and meet the `=` bug), then backpropagate
# the 2-2-1 net by hand.
