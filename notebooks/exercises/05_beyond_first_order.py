# %% [markdown]
# # Exercises 5 — A Hessian-vector product
#
# Goes with lesson 5. Each task is a code cell ending in `# YOUR CODE HERE` and
# `raise NotImplementedError`: replace those two lines with your code. The cell after each task
# checks it and prints ✓, or ✗ with what is wrong and a hint. Run the cells in order.
#
# A Hessian has $n^2$ entries; for a network with a million weights nobody builds it. What
# optimisers and curvature probes use instead is the **Hessian-vector product** $Hv$: how the
# gradient changes when the point moves along $v$. Two walks give it, whatever $n$ is:
#
# $$Hv = \nabla_x \big(\nabla_x f(x) \cdot v\big)$$
#
# (the dot product with a fixed $v$ is a single number, and its gradient is $Hv$).

# %%
from checks import check_numbers

from engine import Value, grad


def f(x, y, z):
    return x**2 * y + (y * z).tanh() + z**3 * x


point, v = [0.5, -1.5, 0.8], [1.0, 2.0, -0.5]

# %% [markdown]
# ## Task 1: `hvp(fn, point, v)`
#
# Make the inputs Values, take the gradient **as Values** (`grad(..., create_graph=True)`), form the
# number $\nabla f \cdot v$ as a Value, and take its gradient: return $Hv$ as a list of floats.

# %%
def hvp(fn, point, v):
    # YOUR CODE HERE
    raise NotImplementedError


# %% [markdown]
# The check uses a different road to the same numbers: the gradient (plain `backward()`) at two
# points a little before and after `point` along `v`, a central difference of gradients:
# $Hv \approx \frac{\nabla f(x + \epsilon v) - \nabla f(x - \epsilon v)}{2\epsilon}$.

# %%
def gradient(fn, point):
    inputs = [Value(p) for p in point]
    fn(*inputs).backward()
    return [x.grad for x in inputs]


eps = 1e-5
ahead = gradient(f, [p + eps * d for p, d in zip(point, v)])
behind = gradient(f, [p - eps * d for p, d in zip(point, v)])
by_differences = [(a - b) / (2 * eps) for a, b in zip(ahead, behind)]
check_numbers(
    "Hv against differences of gradients",
    hvp(f, point, v),
    by_differences,
    what="entry",
    rel=1e-6,
    hint="grad(fn(*inputs), inputs, create_graph=True) gives Values; sum g·v over them, then grad of that sum",
)

# %% [markdown]
# ## Task 2: the Hessian from Hessian-vector products
#
# $H e_j$ (with $e_j$ the $j$-th unit vector) is column $j$ of $H$. Build the whole $3 \times 3$
# Hessian `H` (a list of rows) from three calls of your `hvp`.

# %%
# YOUR CODE HERE
raise NotImplementedError

# %% [markdown]
# Checked against lesson 5's way (one row per `grad` of a first derivative), and for symmetry:
# $H_{ij} = H_{ji}$ for a smooth function.

# %%
inputs = [Value(p) for p in point]
rows = [grad(d, inputs) for d in grad(f(*inputs), inputs, create_graph=True)]
check_numbers(
    "H from three products",
    [entry for row in H for entry in row],
    [entry for row in rows for entry in row],
    rel=1e-12,
    hint="hvp(f, point, e_j) is column j; H[i][j] = columns[j][i]",
)
check_numbers(
    "H is symmetric",
    [H[i][j] for i in range(3) for j in range(3)],
    [H[j][i] for i in range(3) for j in range(3)],
    rel=1e-12,
    hint="if H is not symmetric, a column was stored as a row",
)
