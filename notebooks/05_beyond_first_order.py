# %% [markdown]
# # Lesson 5 — Beyond first order
#
# `backward()` stores numbers in `.grad`. `engine.grad(output, inputs, create_graph=True)` does the
# same walk but returns the gradients as **Values built from the graph** — new arithmetic that can be
# differentiated again. That opens the door to second derivatives, to Newton's method (which uses the
# curvature to choose its step) and to Hessians.

# %% [markdown]
# ## 1. Second derivatives
#
# Take $f(x) = x^3 - 2x + \tanh(x)$. By hand:
#
# $$f'(x) = 3x^2 - 2 + (1 - \tanh^2 x), \qquad f''(x) = 6x - 2\tanh x \,(1 - \tanh^2 x)$$
#
# With `create_graph=True` the first derivative is itself a Value, so `grad` can be applied to it
# (without it, as for the second derivative here, `grad` returns plain floats):

# %%
import math

from engine import Value, grad


def f(x):
    return x**3 - 2 * x + x.tanh()


x = Value(0.7)
(df,) = grad(f(x), [x], create_graph=True)  # a Value: the graph of f'(x)
(d2f,) = grad(df, [x])  # differentiate that graph again
t = math.tanh(0.7)
print(f"f'(0.7)  = {df.data:.10f}   by hand {3 * 0.7**2 - 2 + (1 - t**2):.10f}")
print(f"f''(0.7) = {d2f:.10f}   by hand {6 * 0.7 - 2 * t * (1 - t**2):.10f}")

# %% [markdown]
# The same at many points draws the function and its first two derivatives. Where $f'$ crosses 0, $f$
# has a flat spot; the sign of $f''$ there says whether it is a minimum (curving up) or a maximum:

# %%
import matplotlib.pyplot as plt

points = [i / 25 for i in range(-50, 51)]
values, firsts, seconds = [], [], []
for p in points:
    x = Value(p)
    y = f(x)
    (d1,) = grad(y, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    values.append(y.data)
    firsts.append(d1.data)
    seconds.append(d2)

fig, ax = plt.subplots(figsize=(7, 3.8))
ax.plot(points, values, label="f(x)")
ax.plot(points, firsts, label="f'(x)")
ax.plot(points, seconds, label="f''(x)")
ax.axhline(0, color="#999999", linewidth=0.8)
ax.set_xlabel("x")
ax.set_ylabel("f, f', f'' at x")
ax.legend()
plt.show()


# %% [markdown]
# ## 2. Newton's method
#
# Gradient descent steps $\eta\, g'(x)$ against the slope, with a learning rate $\eta$ chosen by
# hand. Newton's method uses the curvature to pick the step: at $x$ it fits the parabola with the
# same value, slope and curvature as $g$, and jumps to where that parabola is flat (its bottom when
# $g''(x) > 0$, its top when $g''(x) < 0$):
#
# $$x \leftarrow x - \frac{g'(x)}{g''(x)}$$
#
# Minimise $g(x) = x^4 - 3x^2 + x$, starting from $x = 2$:


# %%
def g(x):
    return x**4 - 3 * x**2 + x


x_now = 2.0
for step in range(7):
    x = Value(x_now)
    (slope,) = grad(g(x), [x], create_graph=True)
    (curvature,) = grad(slope, [x])
    print(f"step {step}: x = {x_now:.12f}   g'(x) = {slope.data: .3e}   g''(x) = {curvature:.4f}")
    x_now -= slope.data / curvature
print(f"a minimum at x = {x_now:.12f}, g(x) = {g(Value(x_now)).data:.12f}")


# %% [markdown]
# The slope $g'(x)$ shrinks quadratically — the number of correct digits roughly doubles every step —
# the signature of Newton's method. (By hand: $g'(x) = 4x^3 - 6x + 1$ and $g''(x) = 12x^2 - 6$.)
# Newton's method goes to a stationary point (where $g' = 0$), minimum or not: here the minimum on the right.
# $g$ has a deeper one near $x = -1.3$, which a start at $x = -2$ finds, and a maximum near
# $x = 0.17$ ($g'' < 0$ there), which a start at $x = 0.3$ walks to: Newton's step aims at
# where $g' = 0$, not at where $g$ is low.

# %% [markdown]
# Where Newton's method ends depends only on where it starts. Three starts, each path drawn on $g$
# (a dot per step, a star where it stops):


# %%
def newton_path(x_now, steps=8):
    path = [x_now]
    for _ in range(steps):
        x = Value(x_now)
        (slope,) = grad(g(x), [x], create_graph=True)
        (curvature,) = grad(slope, [x])
        x_now -= slope.data / curvature
        path.append(x_now)
    return path


def draw_newton(starts):
    grid = [i / 50 for i in range(-110, 111)]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.plot(grid, [g(Value(p)).data for p in grid], color="#555555", label="g(x)")
    for start in starts:
        path = newton_path(start)
        end = path[-1]
        kind = "minimum" if 12 * end**2 - 6 > 0 else "maximum"
        line = ax.plot(path, [g(Value(p)).data for p in path], "o:", markersize=4)[0]
        ax.plot([end], [g(Value(end)).data], "*", markersize=14, color=line.get_color(),
                label=f"from {start}: {kind} at {end:.3f}")  # fmt: skip
    ax.set_ylim(-4.5, 4)
    ax.set_xlabel("x")
    ax.set_ylabel("g(x)")
    ax.legend(fontsize=9, loc="upper center")
    plt.show()


draw_newton([-2.0, 0.3, 2.0])

# %% [markdown]
# In a running notebook, drag the slider to choose the start yourself (the picture above is the
# static version: three starts, three different stationary points):

# %%
from ipywidgets import FloatSlider, interact

_ = interact(lambda start: draw_newton([start]), start=FloatSlider(value=0.3, min=-2.2, max=2.2, step=0.05))

# %% [markdown]
# ## 3. A Hessian
#
# For a function of several inputs the second derivatives form a matrix, the **Hessian**
# $H_{ij} = \partial^2 h / \partial x_i \partial x_j$. Row $i$ is the gradient of
# $\partial h/\partial x_i$ — so one `grad(..., create_graph=True)` and then one `grad` per row. For
# $h(x, y) = x^2 y + \sin(x)\, y^3$:
#
# $$H = \begin{pmatrix} 2y - \sin(x)\, y^3 & 2x + 3\cos(x)\, y^2 \\ 2x + 3\cos(x)\, y^2 & 6 \sin(x)\, y \end{pmatrix}$$


# %%
def h(x, y):
    return x**2 * y + x.sin() * y**3


def hessian(fn, point):
    inputs = [Value(p) for p in point]
    first = grad(fn(*inputs), inputs, create_graph=True)
    return [grad(d, inputs) for d in first]


a, b = 0.5, -1.5
H = hessian(h, [a, b])
by_hand = [
    [2 * b - math.sin(a) * b**3, 2 * a + 3 * math.cos(a) * b**2],
    [2 * a + 3 * math.cos(a) * b**2, 6 * math.sin(a) * b],
]
for row, hand in zip(H, by_hand):
    print("  ".join(f"{v: .10f}" for v in row), "   by hand:", "  ".join(f"{v: .10f}" for v in hand))
print("largest difference:", max(abs(v - w) for row, hand in zip(H, by_hand) for v, w in zip(row, hand)))

# %% [markdown]
# The matrix is symmetric, as the second derivatives of a smooth function must be:
# $\partial^2 h/\partial x \partial y = \partial^2 h/\partial y \partial x$, even though the two
# entries were computed by different walks through different graphs.
#
# ## 4. The same numbers in PyTorch
#
# PyTorch computes higher derivatives the same way (`create_graph=True`, then `backward` or
# `torch.autograd.grad` again). Where it is installed, compare:

# %%
try:
    import torch
except ImportError:
    torch = None
    print("PyTorch is not installed here: skipping the comparison (pip install torch)")

if torch is not None:
    point = torch.tensor([a, b], dtype=torch.float64)
    H_torch = torch.autograd.functional.hessian(lambda v: v[0] ** 2 * v[1] + torch.sin(v[0]) * v[1] ** 3, point)
    difference = max(abs(H[i][j] - H_torch[i, j].item()) for i in range(2) for j in range(2))
    print(f"PyTorch {torch.__version__} Hessian:\n{H_torch.numpy()}")
    print(f"largest difference from chainrule's: {difference:.1e}")

    xt = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    (d1,) = torch.autograd.grad(xt**3 - 2 * xt + torch.tanh(xt), xt, create_graph=True)
    (d2,) = torch.autograd.grad(d1, xt)
    print(f"f''(0.7): PyTorch {d2.item():.12f}, chainrule {d2f:.12f}")

# %% [markdown]
# **Takeaways.** With `create_graph=True`, a gradient is a graph of Values, so differentiating it again
# gives second derivatives: curvature for Newton's method, rows of a Hessian. It is the same chain rule,
# applied to the graph that the first backward built.
#
# **Exercises:** [exercises/05_beyond_first_order.ipynb](exercises/05_beyond_first_order.ipynb): a
# Hessian-vector product in two walks, and the whole Hessian from three of them.
