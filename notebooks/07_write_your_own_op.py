# %% [markdown]
# # Lesson 7 — Write your own op
#
# Every op so far came from chainrule's table. This lesson adds new ones, two ways:
#
# 1. **micrograd's way**, as the lecture does: build the output node with
#    `Value(data, _children, _op)` and give it a `_backward` closure, the op's own chain-rule step;
# 2. **check** each op: `gradcheck` for the whole function, `draw_dot(check=True)` op by op;
# 3. make the **three classic mistakes** on purpose (`=` for `+=`, a wrong sign, a forgotten
#    `* out.grad`) and read how each is named;
# 4. the same op with **`@primitive`**, and what it gains: second derivatives, `compile`, and a
#    derivative rule that can be checked on its own.

# %%
import math

from engine import GradcheckError, Value, draw_dot, gradcheck
from engine.format import format_number as fmt  # chainrule's one way to show a number: 4 significant digits

# %% [markdown]
# ## 1. An op the micrograd way
#
# An op does three things: it computes its output from its inputs' `.data` (the forward), it makes a
# node that remembers its inputs (`Value(data, _children, _op)`, the constructor micrograd uses), and
# it gives that node a `_backward` step. The step is the chain rule for this one node: for each
# input, *input.grad += (local derivative) × out.grad*. It is a closure: a function defined inside
# the op, so it can still see `x`, `out` and anything computed in the forward.
#
# $\frac{d}{dx} e^x = e^x$, which the forward has already computed as `out.data`:


# %%
def exp(x):
    out = Value(math.exp(x.data), (x,), "exp")

    def _backward():
        x.grad += out.data * out.grad  # d e^x/dx = e^x

    out._backward = _backward
    return out


x = Value(1.0, label="x")
y = exp(x)
y.backward()
print(f"exp(1) = {fmt(y.data)}   dy/dx = {fmt(x.grad)}   (e = {fmt(math.e)})")

# %% [markdown]
# `tanh` and `/` the same way. For tanh the forward keeps $t = \tanh x$ and the step uses
# $\frac{d}{dx}\tanh x = 1 - t^2$. Division has two inputs, so its step feeds both:
# $\frac{\partial (a/b)}{\partial a} = \frac{1}{b}$ and $\frac{\partial (a/b)}{\partial b} = -\frac{a}{b^2}$.
# (The lecture writes `/` as `a * b**-1`; here it is one op, so that it has a rule of its own to get wrong.)


# %%
def tanh(x):
    t = (math.exp(2 * x.data) - 1) / (math.exp(2 * x.data) + 1)
    out = Value(t, (x,), "tanh")

    def _backward():
        x.grad += (1 - t**2) * out.grad  # d tanh(x)/dx = 1 - tanh(x)^2

    out._backward = _backward
    return out


def div(a, b):
    out = Value(a.data / b.data, (a, b), "/")

    def _backward():
        a.grad += (1 / b.data) * out.grad  # d(a/b)/da = 1/b
        b.grad += (-a.data / b.data**2) * out.grad  # d(a/b)/db = -a/b^2

    out._backward = _backward
    return out


# %% [markdown]
# The new ops mix with the built-in ones. The lecture's neuron with our `tanh` gives the lecture's
# numbers, the same as the built-in `.tanh()`:


# %%
def neuron(activation):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = activation(x1 * w1 + x2 * w2 + b)
    o.backward()
    return o.data, x1.grad, w1.grad, x2.grad, w2.grad


for name, activation in (("our tanh", tanh), ("built-in", lambda n: n.tanh())):
    o, x1_grad, w1_grad, x2_grad, w2_grad = (fmt(v) for v in neuron(activation))
    print(f"{name:<9} o = {o}   x1.grad {x1_grad}   w1.grad {w1_grad}   x2.grad {x2_grad}   w2.grad {w2_grad}")

# %% [markdown]
# ## 2. Checking an op you wrote
#
# Agreeing with one example is not a proof. `gradcheck(f, inputs)` runs backward through `f` and
# compares each input's gradient with a numerical slope (central differences). For an op written
# with a closure it also runs the closure on its own and asks three questions: does it *add* to its
# inputs' grads, does it multiply by `out.grad`, and, when the op's name is one the table knows
# (`tanh`, `exp`, `+`, `*`, `ReLU`, ...), does it give the table's derivative.

# %%
print(gradcheck(lambda a, b: div(tanh(a), exp(b)), [0.5, -0.3]))

# %% [markdown]
# `draw_dot(root, check=True)` runs the same check op by op and draws any op whose rule looks
# wrong in red. Here every op passes:

# %%
x, w = Value(0.5, label="x"), Value(2.0, label="w")
y = div(tanh(x * w), exp(x))
y.label = "y"
y.backward()
draw_dot(y, check=True, rankdir="TB")

# %% [markdown]
# ## 3. Three classic mistakes, made on purpose
#
# **Mistake 1: `=` instead of `+=`.** A step that *sets* its inputs' grads works as long as each
# value is used once. With `b = a + a`, the second share overwrites the first and $db/da$ comes out
# 1 instead of 2:


# %%
def add_with_equals(a, b):
    out = Value(a.data + b.data, (a, b), "+")

    def _backward():
        a.grad = 1.0 * out.grad  # wrong on purpose: should be +=
        b.grad = 1.0 * out.grad

    out._backward = _backward
    return out


a = Value(3.0, label="a")
b = add_with_equals(a, a)
b.label = "b"
b.backward()
print(f"b = a + a:  db/da = {a.grad}   (right: 2)")
try:
    gradcheck(lambda a: add_with_equals(a, a), [3.0])
except GradcheckError as error:
    print("GradcheckError:", error)

# %% [markdown]
# gradcheck says both what it measured (backward 1, the slope 2) and why: the `+` op sets its input's
# grad instead of adding. In the drawing, the `+` node is red: its closure's answer depends on what
# the grad held before, which a correct step's never does.

# %%
draw_dot(b, check=True, rankdir="TB")

# %% [markdown]
# **Mistake 2: a wrong sign**, $t^2 - 1$ for $1 - t^2$. **Mistake 3: a forgotten `* out.grad`** in
# exp. The third one hides when the op is the last one (there `out.grad` is 1, so the numbers come
# out right); the check runs the closure with `out.grad` = 2 as well, so it is caught anyway:


# %%
def tanh_wrong_sign(x):
    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh")

    def _backward():
        x.grad += (t**2 - 1) * out.grad  # wrong on purpose: d tanh/dx = 1 - t^2

    out._backward = _backward
    return out


def exp_without_upstream(x):
    out = Value(math.exp(x.data), (x,), "exp")

    def _backward():
        x.grad += out.data  # wrong on purpose: forgot * out.grad

    out._backward = _backward
    return out


for wrong in (tanh_wrong_sign, exp_without_upstream):
    try:
        gradcheck(wrong, [0.5])
    except GradcheckError as error:
        print(f"{wrong.__name__}: GradcheckError: {error}\n")

# %% [markdown]
# All three in one graph: each red op says, per input, what its rule gives against what it should.

# %%
a = Value(0.5, label="a")
z = add_with_equals(tanh_wrong_sign(a), exp_without_upstream(a)) * 2.0
z.label = "z"
z.backward()
draw_dot(z, check=True, rankdir="TB")

# %% [markdown]
# One blind spot. The table has no `/` (chainrule composes division from `*` and `**`), so a closure
# named `/` can be checked for `+=` and `* out.grad`, but nobody knows what its derivative should
# be. A wrong sign in our `div` is caught only by gradcheck's slope of the whole function:


# %%
def div_wrong_sign(a, b):
    out = Value(a.data / b.data, (a, b), "/")

    def _backward():
        a.grad += (1 / b.data) * out.grad
        b.grad += (a.data / b.data**2) * out.grad  # wrong on purpose: d(a/b)/db = -a/b^2

    out._backward = _backward
    return out


try:
    gradcheck(div_wrong_sign, [1.0, 2.0])
except GradcheckError as error:
    print("GradcheckError:", error)

# %% [markdown]
# It says input 1 (`b`) is wrong, but not which op: a closure has no forward the check could take a
# slope of. That is the first thing the table's way adds.
#
# ## 4. The same op with `@primitive`
#
# `@primitive(name, derivative=...)` takes the op's forward on plain floats and its local derivative,
# `derivative(out, *inputs)`, written in ordinary arithmetic. No node, no closure: the engine makes
# the node, and the one rule serves backward on floats and, on Values, a graph of the gradient.

# %%
from engine import compile, grad, primitive


@primitive("div", derivative=lambda out, a, b: (1 / b, -a / b**2))  # d(a/b)/da, d(a/b)/db
def divide(a, b):
    return a / b


print(gradcheck(lambda a, b: divide(a.tanh(), b), [0.5, 2.0]))

# %% [markdown]
# **Gain 1: higher derivatives.** `grad(..., create_graph=True)` needs each derivative as a graph
# it can differentiate again. A closure can only be run, not looked into, so it is refused by name;
# the primitive's rule is arithmetic, so it works. By hand: $\frac{\partial^2 (a/b)}{\partial b^2} = \frac{2a}{b^3}$,
# at $a = 1.5,\ b = 2$ that is $0.375$.

# %%
a, b = Value(1.5), Value(2.0)
try:
    grad(div(a, b), [a, b], create_graph=True)
except TypeError as error:
    print("closure:  ", error)
da, db = grad(divide(a, b), [a, b], create_graph=True)
(db_db,) = grad(db, [b])
print(f"primitive: d/db = {fmt(db.data)}, d²/db² = {fmt(db_db)}")
print(f"by hand:   -a/b² = {fmt(-1.5 / 2**2)}, 2a/b³ = {fmt(2 * 1.5 / 2**3)}")

# %% [markdown]
# **Gain 2: `compile`.** The compiler (lesson 6) writes each op's forward and derivative as straight-line
# Python; it cannot write a closure's body, so again it refuses and says what to use:

# %%
try:
    compile(lambda: div(a, b))()
except ValueError as error:
    print("closure:  ", error)
step = compile(lambda: divide(a, b))
print(f"primitive: a/b = {fmt(step())}   a.grad = {fmt(a.grad)}   b.grad = {fmt(b.grad)}   (1/b, -a/b²)")

# %% [markdown]
# **Gain 3: a rule checked on its own.** With a forward to take slopes of, `draw_dot(check=True)` can
# test the primitive's rule at its own node, without any table entry to compare with. The wrong sign
# from above, as a primitive (defined inside `local_registry()`, so the broken op is thrown away
# after the cell), is now marked at the op itself. And because `@primitive` puts the op in the same
# table as the built-ins (`engine.ops.registered()`), chainrule's own test suite, parametrized over
# that table (tests/test_ops.py), checks an op registered before it runs exactly like `tanh`:
# values and derivatives against mpmath, second derivatives, compile.

# %%
from engine.ops import local_registry, registered

print("'div' in the table:", "div" in registered())
with local_registry():

    @primitive("div_wrong_sign", derivative=lambda out, a, b: (1 / b, a / b**2))  # wrong on purpose
    def divide_wrong_sign(a, b):
        return a / b

    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    q = divide_wrong_sign(a, b)
    q.label = "q"
    q.backward()
    picture = draw_dot(q, check=True, rankdir="TB")
picture

# %% [markdown]
# **Takeaways.**
#
# | | a `_backward` closure (micrograd's way) | `@primitive` (the table's way) |
# |---|---|---|
# | you write | forward, node, chain-rule step with `+=` and `* out.grad` | forward on floats, local derivative |
# | backward, `grad`, hooks, `detect_anomaly`, drawings | yes | yes |
# | `gradcheck` | the whole function; the closure's `+=` and `* out.grad`; its rule if the table knows the op's name | the whole function and the rule itself |
# | `draw_dot(check=True)` | `+=`, `* out.grad`, and the rule for names the table knows | the rule, against the forward's slope |
# | `create_graph=True`, `compile` | refused, naming the op | yes |
# | memory | the closure points back at its node: a reference cycle, freed by the cyclic garbage collector later | freed the moment the graph is dropped |
#
# The closure is the clearest way to *see* the chain rule: each op's step is three lines you wrote.
# The primitive is the way to *keep* an op: one rule, every tool.
#
# **Exercises:** [exercises/07_write_your_own_op.ipynb](exercises/07_write_your_own_op.ipynb):
# `sigmoid` the micrograd way, `log1p` with `@primitive`, and `*` with the bug that hides in
# `a * a`.
