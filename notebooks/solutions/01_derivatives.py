# %% [markdown]
# # Exercises 1 — Derivatives by hand, and how small h should be
#
# Goes with lesson 1. Each task is a code cell ending in `# YOUR CODE HERE` and
# `raise NotImplementedError`: replace those two lines with your code. The cell after each task
# checks it and prints ✓, or ✗ with what is wrong and a hint. Run the cells in order.

# %%
import math

import matplotlib.pyplot as plt
from checks import check_close, check_gradients_like_backward, report

from engine import Value


def f(x):
    return 3 * x**2 - 4 * x + 5


# %% [markdown]
# ## Task 1: a derivative by hand
#
# Differentiate $f(x) = 3x^2 - 4x + 5$ term by term and write $f'(x)$ as a Python function.

# %%
def f_prime(x):
    ### BEGIN SOLUTION
    return 6 * x - 4
    ### END SOLUTION


# %%
for x in (3.0, -1.0, 0.5):
    leaf = Value(x)
    f(leaf).backward()  # the library's derivative, to compare with yours
    check_close(f"f'({x})", f_prime(x), leaf.grad, hint="the derivative of a·x^n is n·a·x^(n-1); of a constant, 0")

# %% [markdown]
# ## Task 2: slopes by nudging
#
# Write `slope(f, x, h)`, the forward difference $\frac{f(x+h) - f(x)}{h}$, and
# `central_slope(f, x, h)`, the central difference $\frac{f(x+h) - f(x-h)}{2h}$.

# %%
def slope(f, x, h):
    ### BEGIN SOLUTION
    return (f(x + h) - f(x)) / h
    ### END SOLUTION


def central_slope(f, x, h):
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


# %%
square = lambda x: x**2  # noqa: E731
# by hand: ((1.5)^2 - 1^2) / 0.5 = 2.5, and ((1.5)^2 - (0.5)^2) / 1 = 2
check_close("slope(x², 1, h=0.5)", slope(square, 1.0, 0.5), 2.5, hint="forward difference: (f(x + h) - f(x)) / h")
check_close(
    "central_slope(x², 1, h=0.5)",
    central_slope(square, 1.0, 0.5),
    2.0,
    hint="central difference: (f(x + h) - f(x - h)) / (2h), both sides of x",
)
check_close("slope(f, 3, h=1e-5)", slope(f, 3.0, 1e-5), 14.0, rel=1e-4, hint="f'(3) = 14; is h used on both lines?")

# %% [markdown]
# ## Task 3: the error against h
#
# For $h = 10^{-1}, 10^{-2}, \dots, 10^{-15}$ compute how far each slope at $x = 3$ is from the true
# $f'(3)$ (your `f_prime`): `forward_errors` for `slope`, `central_errors` for `central_slope`.
# The cell after plots them on log-log axes. Before you run it: which h do you expect to be best?

# %%
hs = [10.0**-k for k in range(1, 16)]
### BEGIN SOLUTION
forward_errors = [abs(slope(f, 3.0, h) - f_prime(3.0)) for h in hs]
central_errors = [abs(central_slope(f, 3.0, h) - f_prime(3.0)) for h in hs]
### END SOLUTION

# %%
problems = []
if len(forward_errors) != len(hs) or len(central_errors) != len(hs):
    problems.append(f"expected {len(hs)} errors each, one per h")
else:
    # by hand: (f(3 + h) - f(3)) / h = 14 + 3h exactly, so at h = 0.1 the error is 0.3
    if not math.isclose(forward_errors[0], 0.3, rel_tol=1e-6):
        problems.append(f"the forward error at h = 0.1 should be 3h = 0.3, got {forward_errors[0]:.3g}")
    best = hs[forward_errors.index(min(forward_errors))]
    if not 1e-11 <= best <= 1e-5:
        problems.append(f"the smallest forward error should be at a middling h (about 1e-8), got h = {best:.0e}")
    if not forward_errors[-1] > 100 * min(forward_errors):
        problems.append("at h = 1e-15 the rounding error should be far larger than at the best h")
report("errors against h", problems, hint="error = abs(slope - f_prime(3.0)), one per h, in the order of hs")

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(hs, [max(e, 1e-17) for e in forward_errors], "o-", label="forward difference")
ax.loglog(hs, [max(e, 1e-17) for e in central_errors], "s--", label="central difference")
ax.set_xlabel("h")
ax.set_ylabel("|slope − f'(3)|")
ax.invert_xaxis()
ax.legend()
plt.show()

# %% [markdown]
# Going right (smaller h), the forward error first falls like $3h$ (the curvature the straight line
# misses), then rises again: $f(x+h)$ and $f(x)$ agree in more and more digits, and their
# difference, divided by a tiny h, is mostly rounding. For this quadratic the central difference
# has no curvature error at all, so only rounding is left. (The practical reason we do not train
# with nudges is cost, though: one extra forward pass per parameter, where one backward pass gives
# every gradient at once.)
#
# ## Task 4: the chain rule by hand
#
# The lecture's neuron: $n = x_1 w_1 + x_2 w_2 + b$, $o = \tanh(n)$. With
# $\frac{do}{dn} = 1 - o^2$ and the chain rule, compute the five numbers
# $\frac{do}{dx_1}, \frac{do}{dw_1}, \frac{do}{dx_2}, \frac{do}{dw_2}, \frac{do}{db}$ (plain floats; no Values).

# %%
x1, x2, w1, w2, b = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432
### BEGIN SOLUTION
o = math.tanh(x1 * w1 + x2 * w2 + b)
do_dn = 1 - o**2
by_hand = [do_dn * w1, do_dn * x1, do_dn * w2, do_dn * x2, do_dn]
### END SOLUTION


# %%
def neuron():
    leaves = [Value(v) for v in (x1, w1, x2, w2, b)]
    x1_, w1_, x2_, w2_, b_ = leaves
    return (x1_ * w1_ + x2_ * w2_ + b_).tanh(), leaves


check_gradients_like_backward(
    "the neuron's gradients (x1, w1, x2, w2, b)",
    by_hand,
    neuron,
    hint="do/dx1 = do/dn · dn/dx1 and dn/dx1 = w1: each input's gradient is 1 - o² times the other factor",
)
