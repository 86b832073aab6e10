# %% [markdown]
# # Exercises 6 — Write the compiled code yourself
#
# Goes with lesson 6. Each task is a code cell ending in `# YOUR CODE HERE` and
# `raise NotImplementedError`: replace those two lines with your code. The cell after each task
# checks it and prints ✓, or ✗ with what is wrong and a hint. Run the cells in order.
#
# `engine.compile` writes out the arithmetic that `backward()` performs, as plain Python. Here you
# write it first, for a small function, and then compare your code with what `compile` wrote.

# %%
import inspect
import re

from checks import check_numbers, report, show_diff

from engine import Value, compile

a, b = Value(2.0, label="a"), Value(-3.0, label="b")


def small():
    """d = a*b + tanh(a): `a` is used twice, so its gradient is a sum of two shares."""
    c = a * b
    c.label = "c"
    t = a.tanh()
    t.label = "t"
    d = c + t
    d.label = "d"
    return d


# %% [markdown]
# ## Task 1: the forward and backward pass as plain floats
#
# Write `forward_backward(a, b)` with plain floats: one line per node of `small` (`c`, `t`, `d`),
# then the backward pass from `d_grad = 1.0`, one line per gradient, with the names `compile` uses
# (`c_grad`, `t_grad`, and for the leaves `a_grad`, `b_grad`). Return `d, a_grad, b_grad`.
# Remember: $\tanh'(x) = 1 - \tanh(x)^2$, and `a` gets a share from `c` *and* from `t`.

# %%
import math


def forward_backward(a, b):
    ### BEGIN SOLUTION
    c = a * b
    t = math.tanh(a)
    d = c + t
    d_grad = 1.0  # d output / d output
    t_grad = d_grad
    c_grad = d_grad
    b_grad = c_grad * a
    a_grad = c_grad * b + t_grad * (1 - t * t)
    return d, a_grad, b_grad
    ### END SOLUTION


# %% [markdown]
# The check runs `compile(small)` at three settings of the parameters and compares your three numbers
# with its output and the gradients it adds into `a.grad` and `b.grad`.

# %%
step = compile(small)
mine, theirs = [], []
for a_now, b_now in [(2.0, -3.0), (-0.5, 1.5), (0.1, 4.0)]:
    a.data, b.data, a.grad, b.grad = a_now, b_now, 0.0, 0.0
    out = step()
    theirs += [out, a.grad, b.grad]
    mine += list(forward_backward(a_now, b_now))
check_numbers(
    "forward_backward against compile(small)",
    mine,
    theirs,
    what="number",
    rel=1e-12,
    hint="the numbers come in threes (d, a_grad, b_grad) per setting; a_grad = b · c_grad + (1 - t²) · t_grad",
)

# %% [markdown]
# ## Task 2: read the difference
#
# Now the diff of your code against `compile`'s (lines starting `-` are only in yours, `+` only in
# its). The arithmetic should match; what differs is bookkeeping: `compile` reads the leaves from
# `params[k].data` and *adds* into `params[k].grad` (a leaf's gradient accumulates, as with
# `backward()`), and it calls `tanh` from the table of primitives. Write in `differences` which of
# your lines `compile` wrote differently, as a list of your variable names (e.g. `["a_grad"]`).

# %%
show_diff(inspect.getsource(forward_backward), step.source, "forward_backward", "compile(small).source")

# %%
### BEGIN SOLUTION
differences = ["a_grad", "b_grad"]  # compile adds into params[k].grad instead of making a variable
### END SOLUTION

# %%
def assigned(source):
    """The names a piece of code assigns with a plain `name = ...` line."""
    return {line.split("=")[0].strip() for line in source.splitlines() if re.match(r"\s*\w+ = ", line)}


only_mine = sorted(assigned(inspect.getsource(forward_backward)) - assigned(step.source))
report(
    "your lines that compile wrote differently",
    [] if sorted(differences) == only_mine else [f"you listed {sorted(differences)}, the diff shows {only_mine}"],
    hint="a line of yours that starts with `name = ` but has no such line in compile's code (look at the - lines)",
    passed=", ".join(only_mine),
)
