# %% [markdown]
# # Exercises 7 — Write your own op
#
# Goes with lesson 7. Each task is a code cell ending in `# YOUR CODE HERE` and
# `raise NotImplementedError`: replace those two lines with your code. The cell after each task
# checks it and prints ✓, or ✗ with what is wrong and a hint. Run the cells in order.

# %%
import math

from checks import check_close, check_gradcheck, check_ops, report

from engine import Value, compile, draw_dot, grad, primitive

# %% [markdown]
# ## Task 1: sigmoid, the micrograd way
#
# Write `sigmoid(x)` for a Value `x` as lesson 7 wrote `tanh`: the forward
# $s = \frac{1}{1 + e^{-x}}$ on `x.data`, the node `Value(s, (x,), "sigmoid")`, and a `_backward`
# closure using $\frac{ds}{dx} = s\,(1 - s)$.

# %%
def sigmoid(x):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
hint = "out.data is s; the step is x.grad += s * (1 - s) * out.grad, with += and with * out.grad"
check_gradcheck("sigmoid", lambda x: sigmoid(x * 2.0) * 3.0, [[0.3], [-1.2], [2.5]], hint)
x = Value(0.3, label="x")
y = sigmoid(x) * sigmoid(x * x)
y.label = "y"
y.backward()
check_ops("sigmoid in a graph", y, hint)
draw_dot(y, check=True, rankdir="TB")

# %% [markdown]
# ## Task 2: log1p with `@primitive`
#
# Define `log1p` ($\log(1 + x)$, for $x > -1$) with `@primitive("log1p", derivative=...)`: the
# forward on floats (`math.log1p`), and the derivative `derivative(out, x)` in plain arithmetic,
# so it works on floats and on Values alike.

# %%
# YOUR CODE HERE
raise NotImplementedError

# %%
hint = "d log(1 + x)/dx = 1/(1 + x); write it with + and / only, no math. functions, so Values pass through"
check_gradcheck("log1p", lambda x: log1p(x * x), [[0.5], [-0.4], [3.0]], hint)
# what the primitive gains: a second derivative (by hand: d²/dx² log(1 + x) = -1/(1 + x)²) ...
x = Value(0.5)
(dx,) = grad(log1p(x), [x], create_graph=True)
(dxx,) = grad(dx, [x])
check_close("d²/dx² log1p at 0.5", dxx, -1 / 1.5**2, hint)
# ... and compile: the compiled step adds to w.grad what backward() would (by hand: 2w/(1 + w²))
w = Value(0.5)
step = compile(lambda: log1p(w * w))
step()
check_close("compiled d/dw log1p(w²) at 0.5", w.grad, 2 * 0.5 / (1 + 0.5**2), hint)

# %% [markdown]
# ## Task 3: `*`, and the bug that hides in it
#
# Write `mul(a, b)` the micrograd way: `Value(a.data * b.data, (a, b), "*")` and a closure with
# $\frac{\partial (ab)}{\partial a} = b$, $\frac{\partial (ab)}{\partial b} = a$. The check squares a
# number with `mul(a, a)`: both inputs are the same Value, so a step that sets the grads (`=`)
# instead of adding (`+=`) gives $da = 3$ at $a = 3$ where $2a = 6$ is right. Try it with `=` first.

# %%
def mul(a, b):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
a = Value(3.0)
square = mul(a, a)
square.backward()
problems = [] if a.grad == 6.0 else [f"a * a at a = 3: da = {a.grad}, expected 2a = 6"]
report("mul(a, a)", problems, hint="both inputs are the same a: each share must be added to a.grad (+=)")
check_gradcheck("mul", lambda a, b: mul(a, b) * 2.0, [[3.0, -2.0], [0.5, 0.5]], hint="d(ab)/da = b, d(ab)/db = a")
