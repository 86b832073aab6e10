# %% [markdown]
# # Lesson 2 — The backward pass
#
# Lesson 1 ended with `o.backward()` filling in every gradient. This lesson opens it up:
#
# 1. the **order** of the walk: every node after all the nodes that use it (topological order, reversed);
# 2. the walk **by hand**, one node's `_backward()` at a time;
# 3. why each step **adds** (`+=`) to a gradient instead of setting it;
# 4. the walk as a sequence of **pictures**;
# 5. `gradcheck`: how to trust a derivative rule you wrote yourself.

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
# Read it bottom-up and you have the backward walk: `o` first, then `n`, then the sum, the products,
# and the leaves last.
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
# first and `db/da` would come out as 1 — the classic bug in a first autodiff engine.
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
# `draw_dot(o, step=k)` draws the state after $k$ chain-rule steps. The node that just applied the chain
# rule is highlighted, together with the edges it fed; nodes not reached yet show their gradient as
# *pending*, and a gradient still waiting for more uses is marked *so far*. Here is the neuron before
# the walk, after two steps, and at the end:

# %%
o = neuron()
draw_dot(o, step=0)

# %%
draw_dot(o, step=2)

# %%
draw_dot(o, step=10)  # any step past the end shows the finished walk

# %% [markdown]
# In a running notebook, `backward_widget(o)` from `engine` plays every step with a slider and a
# play button, and `backward_animation(o, "walk.html")` writes the same player as one self-contained
# web page (the command line does it too: `chainrule draw "tanh(x1*w1 + x2*w2 + b)" --at ... -o walk.html`).
#
# ## 5. Trusting a derivative: `gradcheck`
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
# **Takeaways.** Backpropagation is one walk over the graph in reverse topological order; at each
# node the chain rule sends the node's gradient to its inputs, multiplied by the local derivative,
# and *adds* it there. A picture per step shows the walk, and `gradcheck` compares every rule with a
# numerical slope.
