# %% [markdown]
# # Lesson 1 — Derivatives and the chain rule
#
# Training a neural network means asking one question over and over: *if I nudge this weight a
# little, how does the loss change?* That rate of change is a **derivative**. This lesson builds the
# idea from the ground up:
#
# 1. a derivative is a slope, and you can measure it by nudging the input;
# 2. with several inputs, each input has its own slope (a *partial* derivative);
# 3. when one computation feeds another, the slopes multiply — the **chain rule**:
#
# $$\frac{\partial \text{Loss}}{\partial w} = \frac{\partial \text{Loss}}{\partial \text{Output}} \times \frac{\partial \text{Output}}{\partial w}$$
#
# 4. and finally, chainrule's `Value` does that bookkeeping for us and can draw it.

# %% [markdown]
# ## 1. A derivative is a slope
#
# Take the function $f(x) = 3x^2 - 4x + 5$. At $x = 3$, how fast does $f$ grow? Nudge $x$ by a small
# $h$ and see how much $f$ moves, per unit of nudge:
#
# $$f'(x) \approx \frac{f(x + h) - f(x)}{h}$$

# %%
def f(x):
    return 3 * x**2 - 4 * x + 5


x = 3.0
for h in (0.1, 0.001, 0.00001):
    print(f"h = {h:<8} slope ≈ {(f(x + h) - f(x)) / h:.6f}")

# %% [markdown]
# The estimates settle on 14. Calculus gives it exactly: $f'(x) = 6x - 4$, so $f'(3) = 14$. (Make $h$
# *too* small, say $10^{-14}$, and floating-point rounding takes over.) We will not compute
# gradients this way in practice, only check them, and the reason is cost more than rounding: a
# nudge gives one slope per forward pass, so a network with a million weights needs a million
# forward passes, where one backward pass gives all million slopes at once.
#
# The slope is the tilt of the tangent line that just touches the curve at $x = 3$:

# %%
import matplotlib.pyplot as plt

xs = [i / 20 for i in range(-40, 101)]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(xs, [f(v) for v in xs], label="f(x) = 3x² − 4x + 5")
ax.plot(xs, [f(3) + 14 * (v - 3) for v in xs], "--", label="tangent at x = 3, slope 14")
ax.scatter([3], [f(3)], color="black", zorder=3)
ax.set_ylim(-5, 60)
ax.set_xlabel("x")
ax.set_ylabel("f(x)")
ax.legend()
plt.show()

# %% [markdown]
# ## 2. Several inputs: one slope per input
#
# With $d = a \cdot b + c$ there are three questions: how does $d$ react to $a$, to $b$, to $c$? Nudge
# one input at a time and keep the others fixed. By hand: $\partial d/\partial a = b$,
# $\partial d/\partial b = a$, $\partial d/\partial c = 1$.

# %%
a, b, c = 2.0, -3.0, 10.0
h = 1e-6
d = a * b + c
print(f"d = {d}")
print(f"dd/da ≈ {((a + h) * b + c - d) / h:.4f}   (by hand: b = {b})")
print(f"dd/db ≈ {(a * (b + h) + c - d) / h:.4f}   (by hand: a = {a})")
print(f"dd/dc ≈ {(a * b + (c + h) - d) / h:.4f}   (by hand: 1)")

# %% [markdown]
# ## 3. The chain rule, by hand
#
# Now a real neuron, the one from the well-known lecture: two inputs $x_1, x_2$, two weights
# $w_1, w_2$, a bias $b$, and a $\tanh$ squashing the sum:
#
# $$n = x_1 w_1 + x_2 w_2 + b, \qquad o = \tanh(n)$$
#
# How does the output $o$ depend on the weight $w_1$? The weight does not touch $o$ directly — it
# changes $n$, and $n$ changes $o$. So the slopes multiply:
#
# $$\frac{\partial o}{\partial w_1} = \frac{\partial o}{\partial n} \times \frac{\partial n}{\partial w_1}
# = (1 - o^2) \times x_1$$
#
# because $\tanh'(n) = 1 - \tanh(n)^2$ and $n$ grows by $x_1$ for every unit of $w_1$.

# %%
import math

x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
n = x1 * w1 + x2 * w2 + b
o = math.tanh(n)
do_dn = 1 - o**2  # the local slope of tanh
dn_dw1 = x1  # the local slope of the sum with respect to w1
print(f"n = {n:.4f}, o = {o:.4f}")
print(f"do/dn  = 1 - o^2 = {do_dn:.4f}")
print(f"do/dw1 = do/dn * dn/dw1 = {do_dn:.4f} * {dn_dw1} = {do_dn * dn_dw1:.4f}")
print(f"do/dx1 = do/dn * dn/dx1 = {do_dn:.4f} * {w1} = {do_dn * w1:.4f}")

# %% [markdown]
# Every derivative in a network is a product like this: walk from the output back to the weight,
# multiplying the local slope of each step on the way. A network just has many more steps, and
# a weight usually reaches the loss along several paths (their contributions add up — lesson 2).
#
# ## 4. The same with Values
#
# A `Value` is a number that remembers how it was made. Build the neuron out of Values and call
# `backward()`: it walks the recorded graph from `o` back to every input, applying exactly the chain
# rule above, and leaves each derivative in `.grad`.

# %%
from engine import Value

x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
n = x1 * w1 + x2 * w2 + b
n.label = "n"
o = n.tanh()
o.label = "o"
o.backward()
for v in (w1, x1, w2, x2, b):
    print(f"do/d{v.label:<2} = {v.grad:.4f}")

# %% [markdown]
# The same numbers as by hand: $\partial o/\partial w_1 = 1$, $\partial o/\partial x_1 = -1.5$. Notice
# $\partial o/\partial w_2 = 0$: $w_2$ is multiplied by $x_2 = 0$, so nudging it changes nothing.
#
# And the picture: each box shows a Value's data and its gradient, each small circle the operation
# that made the box below it. Data flows top to bottom; gradients flow back bottom to top.
# (`rankdir="TB"` stacks the graph so it fits a notebook's width; unnamed nodes get names n3, n6, ...)

# %%
from engine import draw_dot

draw_dot(o, rankdir="TB")

# %% [markdown]
# ## 5. Trust, but verify
#
# `backward()` computes derivatives exactly (up to rounding), using the rule of each operation. The
# nudging of section 1 is an independent check: nudge $w_1$ and see how much $o$ moves.

# %%
h = 1e-6
nudged = math.tanh(2.0 * (-3.0 + h) + 0.0 * 1.0 + 6.8813735870195432)
print(f"numerical do/dw1 ≈ {(nudged - o.data) / h:.4f}, backward says {w1.grad:.4f}")

# %% [markdown]
# ### How small should h be?
#
# A numerical check has its own pitfalls. The **forward difference** above,
# $\frac{f(x+h) - f(x)}{h}$, is off by about $\frac{h}{2} f''(x)$ (the curve bends away from the
# straight line); the **central difference** $\frac{f(x+h) - f(x-h)}{2h}$ cancels that term and is off
# by about $h^2$. But a smaller h is not always better: $f(x+h)$ and $f(x)$ then agree in more and more
# digits, and their difference, divided by a tiny h, is mostly rounding (about $10^{-16}/h$).
# The error against h, on log-log axes, for $\partial o/\partial w_1$ of the neuron (true value 1):


# %%
def o_of(w):
    return math.tanh(2.0 * w + 0.0 * 1.0 + 6.8813735870195432)


hs = [10.0**-k for k in range(1, 16)]
forward = [abs((o_of(-3.0 + h) - o_of(-3.0)) / h - w1.grad) for h in hs]
central = [abs((o_of(-3.0 + h) - o_of(-3.0 - h)) / (2 * h) - w1.grad) for h in hs]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.loglog(hs, [max(e, 1e-17) for e in forward], "o-", label="forward difference")
ax.loglog(hs, [max(e, 1e-17) for e in central], "s--", label="central difference")
ax.set_xlabel("h")
ax.set_ylabel("error in do/dw1")
ax.legend()
plt.show()
best_f, best_c = hs[forward.index(min(forward))], hs[central.index(min(central))]
print(f"best h: forward {best_f:.0e} (error {min(forward):.1e}), central {best_c:.0e} (error {min(central):.1e})")

# %% [markdown]
# Both curves are V-shaped: truncation error on the right (slope 1 for forward, slope 2 for central),
# rounding on the left. The best forward h is near $10^{-8}$, the best central one near $10^{-5}$, and
# the best central error is a few hundred times smaller than the best forward one: that is why
# `gradcheck` (lesson 2) uses central differences, with $\epsilon = 10^{-6}$.
#
# One more pitfall: at a **kink** (ReLU or `abs` at exactly 0) there is no derivative to find. The
# central difference of `relu` at 0 is $\frac{h - 0}{2h} = 0.5$, while the rule says 0, so a check
# there fails although nothing is wrong:

# %%
from engine import GradcheckError, gradcheck

try:
    gradcheck(lambda x: x.relu(), [0.0])
except GradcheckError as error:
    print("GradcheckError:", error)
print("one step away from the kink:", gradcheck(lambda x: x.relu(), [0.1]))

# %% [markdown]
# Check at points away from kinks (random inputs almost never land on one).
#
# In a running notebook, the slider below moves h and shows both estimates; the picture above is the
# same information for every h at once.

# %%
from ipywidgets import FloatLogSlider, interact


def estimates(h=1e-6):
    f_est = (o_of(-3.0 + h) - o_of(-3.0)) / h
    c_est = (o_of(-3.0 + h) - o_of(-3.0 - h)) / (2 * h)
    print(
        f"h = {h:.1e}: forward {f_est:.12f} (error {abs(f_est - 1):.1e}), "
        f"central {c_est:.12f} (error {abs(c_est - 1):.1e})"
    )


_ = interact(estimates, h=FloatLogSlider(value=1e-6, base=10, min=-15, max=-1, step=0.5, readout_format=".0e"))

# %% [markdown]
# ## 6. Why not nudge every weight? Forward mode against reverse mode
#
# There is a way to get exact derivatives going *forward*: carry, next to every number, its derivative
# with respect to one chosen input (a **dual number**, $a + \dot a\,\varepsilon$ with
# $\varepsilon^2 = 0$). Each operation updates both: $(a b)^\cdot = \dot a b + a \dot b$,
# $\tanh(a)^\cdot = (1 - \tanh^2 a)\,\dot a$. No rounding trouble, no h; but one pass gives the
# derivative with respect to *one* input, so the neuron's five inputs need five passes:


# %%
class Dual:
    """A number and its derivative with respect to one chosen input (forward mode)."""

    def __init__(self, value, slope=0.0):
        self.value, self.slope = value, slope

    def __add__(self, other):
        return Dual(self.value + other.value, self.slope + other.slope)

    def __mul__(self, other):
        return Dual(self.value * other.value, self.slope * other.value + self.value * other.slope)

    def tanh(self):
        t = math.tanh(self.value)
        return Dual(t, (1 - t * t) * self.slope)


point = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}
passes = 0
for wanted in point:  # one forward pass per input: seed that input's slope with 1
    d = {name: Dual(v, 1.0 if name == wanted else 0.0) for name, v in point.items()}
    out = (d["x1"] * d["w1"] + d["x2"] * d["w2"] + d["b"]).tanh()
    passes += 1
    print(f"forward pass {passes}: do/d{wanted:<2} = {out.slope:.4f}")
print(f"forward mode: {passes} passes for {len(point)} derivatives; reverse mode (backward): 1 pass for all")

# %% [markdown]
# The same numbers as `backward()`. The cost is the point: forward mode (and nudging) costs one pass
# **per input**, reverse mode one forward and one backward pass **for all inputs** together. A loss
# has one output and millions of weights, so reverse mode wins by a factor of millions; that is why
# training uses backpropagation, and why nudging is kept for checking. (Lesson 6 writes the backward
# pass out as code: a line or two of arithmetic per node of the forward pass, however many inputs.)
#
# %% [markdown]
# **Takeaways.** A derivative is a slope; with many inputs each has its own; through a chain of
# operations, local slopes multiply. `Value` records the chain as you compute, and `backward()`
# multiplies the slopes for you. Next lesson: *how* `backward()` walks the graph, and why it adds.
#
# **Exercises:** [exercises/01_derivatives.ipynb](exercises/01_derivatives.ipynb): differentiate by
# hand, write the forward and central differences, plot their error against h, and work the neuron's
# chain rule.
