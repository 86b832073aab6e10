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
# that made the next box. Data flows left to right; gradients flow back right to left.

# %%
from engine import draw_dot

draw_dot(o)

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
# **Takeaways.** A derivative is a slope; with many inputs each has its own; through a chain of
# operations, local slopes multiply. `Value` records the chain as you compute, and `backward()`
# multiplies the slopes for you. Next lesson: *how* `backward()` walks the graph, and why it adds.
