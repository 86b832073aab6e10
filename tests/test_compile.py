"""engine.compile: the generated forward and backward give what Value.backward() gives.

The oracle for every number here is the interpreted path (a fresh graph and `backward()`), the
lecture's hand-derived neuron, or PyTorch; the compiled code is never checked against itself.
"""

from __future__ import annotations

import gc
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from engine import Value, detect_anomaly, no_grad, primitive
from engine.compiler import compile
from engine.ops import Primitive, examples, linear


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    """Equal to 1e-12 (relative, or absolute near zero), or both nan."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def interpreted(fn, params, *args):
    """The oracle: fresh leaves from the arguments, the graph built anew, backward()."""
    for p in params:
        p.grad = 0.0
    out = fn(*[_leaves(a) for a in args])
    root = out[0] if isinstance(out, tuple) else out
    root.backward()
    return root.data, [p.grad for p in params]


def compiled_call(step, params, *args):
    for p in params:
        p.grad = 0.0
    out = step(*args)
    value = out[0] if isinstance(out, tuple) else out
    return value, [p.grad for p in params]


def _leaves(x):
    if isinstance(x, list):
        return [_leaves(item) for item in x]
    return Value(x) if isinstance(x, float) else x


def assert_same(got, want):
    (value, grads), (value_want, grads_want) = got, want
    assert close(value, value_want), (value, value_want)
    for i, (g, w) in enumerate(zip(grads, grads_want)):
        assert close(g, w), f"parameter {i}: compiled {g!r}, backward {w!r}"


# --- the lecture's neuron, by hand -----------------------------------------------------------


def lecture_neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")

    def neuron():
        x1w1 = x1 * w1
        x1w1.label = "x1w1"
        x2w2 = x2 * w2
        x2w2.label = "x2w2"
        x1w1x2w2 = x1w1 + x2w2
        x1w1x2w2.label = "x1w1x2w2"
        n = x1w1x2w2 + b
        n.label = "n"
        o = n.tanh()
        o.label = "o"
        return o

    return neuron, (x1, x2, w1, w2, b)


def test_the_lecture_neuron_compiled_gives_the_lectures_hand_derived_gradients():
    neuron, (x1, x2, w1, w2, b) = lecture_neuron()
    step = compile(neuron)
    o = step()
    # o = tanh(n) = 1/sqrt(2); do/dn = 1 - o² = 1/2; then the products pass it on
    assert o == pytest.approx(math.sqrt(0.5), rel=1e-12)
    assert x1.grad == pytest.approx(-1.5, rel=1e-12)
    assert w1.grad == pytest.approx(1.0, rel=1e-12)
    assert x2.grad == pytest.approx(0.5, rel=1e-12)
    assert w2.grad == 0.0
    assert b.grad == pytest.approx(0.5, rel=1e-12)


def test_the_neuron_source_shows_each_labelled_op_on_its_line_forward_then_backward():
    neuron, _ = lecture_neuron()
    step = compile(neuron)
    step()
    lines = [line.strip() for line in step.source.splitlines()]
    for line in ["x1w1 = x1 * w1", "x2w2 = x2 * w2", "x1w1x2w2 = x1w1 + x2w2", "n = x1w1x2w2 + b", "o = tanh(n)"]:
        assert line in lines
    # tanh's rule from the table, inlined: d o/d n = 1 - o²
    assert "n_grad = o_grad * (1 - o * o)" in lines
    assert lines.index("o = tanh(n)") < lines.index("o_grad = 1.0  # d output / d output")
    assert lines[-1] == "return o"


def test_unlabelled_single_use_values_are_written_inside_the_expression_that_uses_them():
    w, b = Value(0.5, label="w"), Value(0.1, label="b")
    step = compile(lambda x: (w * x + b).relu())
    step(2.0)
    assert "0.0 if" in step.source  # relu's forward, computed per call
    forward = [line for line in step.source.splitlines() if " = " in line and "params" not in line]
    assert any("w * x + b" in line for line in forward)
    opened = compile(lambda x: (w * x + b).relu(), fuse=False)
    opened(2.0)
    assert len(opened.source.splitlines()) > len(step.source.splitlines())


# --- compiled agrees with backward ------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=1, max_size=3),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", "linear"]),
    batch=st.integers(1, 6),
    seed=st.integers(0, 10**6),
)
def test_random_mlps_give_backwards_loss_and_every_gradient(sizes, activation, batch, seed):
    rng = random.Random(seed)
    model = nn.MLP(3, sizes + [1], activation=activation, seed=seed)
    params = model.parameters()
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(batch)]
    targets = [rng.uniform(-1, 1) for _ in range(batch)]

    def loss(xs):
        return nn.losses.mse([model(x) for x in xs], targets) + 1e-3 * sum(p * p for p in params)

    step = compile(loss)
    for _ in range(3):  # new weights each time, as an optimizer would leave them
        assert_same(compiled_call(step, params, X), interpreted(loss, params, X))
        for p in params:
            p.data += rng.uniform(-0.5, 0.5)


OPS = sorted(examples().items())
# well-behaved ops for formulas repeated per sample (few nans, so the comparison says something)
OPS_FOR_SAMPLES = [(name, op) for name, op in OPS if name in {"+", "*", "tanh", "sigmoid", "relu", "abs", "exp", "**2"}]


def recipes(ops, max_size: int):
    """Random graphs as recipes: each step an op (its index in `ops`) and picks of its operands."""
    step = st.tuples(st.integers(0, len(ops) - 1), st.lists(st.integers(0, 10**6), min_size=5, max_size=5))
    return st.lists(step, min_size=1, max_size=max_size)


def grow(pool, recipe, ops):
    """Follow the recipe, appending each op's result to the pool; return the pool."""
    for op, picks in recipe:
        prim = ops[op][1]
        # operands picked from everything made so far: the same node feeds several later ones
        operands = [pool[i % len(pool)] for i in picks]
        pool.append(prim(*operands[: prim.arity]))
    return pool


def agrees_or_raises_alike(step, fn, params, *args) -> bool:
    """Assert the compiled step gives what backward() gives, or raises what it raises (a rule
    that raises on floats raises compiled too); False when both raised."""
    try:
        want = interpreted(fn, params, *args)
    except (ArithmeticError, ValueError) as error:
        with pytest.raises(type(error)):
            step(*args)
        return False
    assert_same(compiled_call(step, params, *args), want)
    return True


@settings(max_examples=40, deadline=None)
@given(recipe=recipes(OPS, max_size=25), seed=st.integers(0, 10**6))
def test_random_graphs_over_every_registered_op_with_shared_subexpressions_agree(recipe, seed):
    rng = random.Random(seed)
    params = [Value(rng.uniform(0.2, 2.0), label=f"p{i}") for i in range(3)]

    def graph(x, y):
        pool = grow([*params, x, y, x * 0.5 + 1.0], recipe, OPS)
        return sum(pool[-3:], pool[0] * pool[-1])

    step = compile(graph)
    for _ in range(3):
        args = (rng.uniform(-2, 2), rng.uniform(0.1, 3))
        if not agrees_or_raises_alike(step, graph, params, *args):
            return


def test_the_recipes_reach_every_registered_op():
    assert {name for name, _ in OPS} >= {"+", "*", "**", "exp", "log", "tanh", "relu", "abs", "w·x+b", "**2"}


@pytest.mark.parametrize("op", [op for _, op in OPS], ids=[name for name, _ in OPS])
def test_every_registered_op_compiles_to_backwards_numbers(op):
    # the random graphs above may miss an op in a run; here each one is compiled on its own
    params = [Value(0.7, label="p0"), Value(1.3, label="p1"), Value(-0.4, label="p2")]

    def graph(x):
        operands = [params[0] * x, params[1], params[2] + x, x, params[0]]
        return op(*operands[: op.arity]) * params[1] + params[2]

    step = compile(graph)
    compared = [agrees_or_raises_alike(step, graph, params, x) for x in (0.5, 1.5, -0.3, 0.0, 0.5)]
    assert compared.count(True) >= 3, f"{op.name}: too few points where its value is defined"


def test_a_batch_is_written_once_as_a_loop_so_the_source_does_not_grow_with_it():
    model = nn.MLP(2, [6, 6, 1], seed=3)
    params = model.parameters()
    rng = random.Random(5)
    sizes = {}
    for batch in (10, 40):
        X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(batch)]
        y = [1.0 if i % 3 else -1.0 for i in range(batch)]

        def loss(xs, ys):
            return nn.losses.mse([model(x) for x in xs], ys) + 1e-3 * sum(p * p for p in params)

        step = compile(loss)
        assert_same(compiled_call(step, params, X, y), interpreted(loss, params, X, y))
        assert "pieces_forward" in step.source
        sizes[batch] = len(step.source)
    assert sizes[40] < 1.5 * sizes[10]  # four times the samples, not four times the code


def test_repeated_pieces_reading_a_value_that_needs_a_gradient_are_written_out_and_agree():
    w, u = Value(0.7, label="w"), Value(-0.3, label="u")

    def loss(xs):
        shared = w * 2.0  # computed once, read by every sample: its gradient sums over all of them
        return sum((((shared * x + u).tanh() * x).relu() * u + x).sigmoid() * (x + u).exp() for x in xs)

    step = compile(loss)
    xs = [0.5, -1.5, 2.0, 0.25]
    assert_same(compiled_call(step, [w, u], xs), interpreted(loss, [w, u], xs))
    assert "pieces_forward" not in step.source  # the samples repeat, but cannot run as one loop


def test_a_parameter_used_between_repeated_pieces_keeps_backwards_order_of_addition():
    w, c = Value(0.9, label="w"), Value(0.1, label="c")

    def loss(xs):
        total = Value(0.0)
        for x in xs:  # c is used between the samples: the pieces cannot run as one loop
            total = total * c + (((w * x).tanh() * x + w).sigmoid() * x + w * w).relu() * (x + 1.0)
        return total

    step = compile(loss)
    xs = [0.3, -0.7, 1.1, -2.0, 0.05]
    assert_same(compiled_call(step, [w, c], xs), interpreted(loss, [w, c], xs))
    assert "pieces_forward" not in step.source


@settings(max_examples=30, deadline=None)
@given(
    recipe=recipes(OPS_FOR_SAMPLES, max_size=12),
    combine=st.sampled_from(["sum", "product", "chain", "labels"]),
    samples=st.integers(2, 5),
    seed=st.integers(0, 10**6),
)
def test_random_formulas_run_per_sample_and_combined_agree_with_backward(recipe, combine, samples, seed):
    rng = random.Random(seed)
    params = [Value(rng.uniform(0.2, 1.5), label=f"p{i}") for i in range(3)]

    def per_sample(x, y):
        pool = grow([*params, x, y], recipe, OPS_FOR_SAMPLES)
        return pool[-1] + pool[-2] * 0.5

    def loss(rows):
        outs = [per_sample(x, y) for x, y in rows]
        if combine == "sum":
            return sum(outs)
        if combine == "product":
            total = outs[0]
            for o in outs[1:]:
                total = total * (o * 0.1 + 1.0)
            return total
        if combine == "chain":  # a parameter between the samples
            return sum((o * params[0] for o in outs), params[1])
        return sum((o * (1 if k % 2 else -1) + 1).relu() for k, o in enumerate(outs))

    step = compile(loss)
    for _ in range(2):
        rows = [[rng.uniform(-1.5, 1.5), rng.uniform(0.2, 2.0)] for _ in range(samples)]
        if not agrees_or_raises_alike(step, loss, params, rows):
            return


@pytest.mark.parametrize("kink", ["relu", "abs", "leaky_relu"])
def test_kinks_crossed_between_calls_are_computed_per_call_not_traced(kink):
    w, b = Value(1.5, label="w"), Value(-0.5, label="b")
    fn = lambda x: getattr(w * x + b, kink)() * 3.0  # noqa: E731
    step = compile(fn)
    for x in [2.0, -1.0, 1.0 / 3.0, 0.5, -0.25, 3.0]:  # 1/3 puts w*x + b exactly on the kink
        assert_same(compiled_call(step, [w, b], x), interpreted(fn, [w, b], x))
    assert step.traces == 2  # the first call, and the check on the first repeat


def test_mini_batches_of_different_sizes_each_trace_once_and_agree():
    model = nn.MLP(2, [4, 1], seed=1)
    params = model.parameters()
    rng = random.Random(2)

    def loss(xs, ys):  # the labels ±1.0 are arguments, as fit passes them: hinge(s, y) = hinge(s·y, +1)
        return nn.losses.hinge([model(x) * t for x, t in zip(xs, ys)], [1] * len(xs))

    step = compile(loss)
    for size in [3, 5, 3, 5, 1, 3]:
        X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(size)]
        y = [rng.choice([-1.0, 1.0]) for _ in range(size)]
        assert_same(compiled_call(step, params, X, y), interpreted(loss, params, X, y))
    # three sizes traced once each, plus the check of the first repeat of 3 and of 5; the third
    # batch of 3 runs the cached code
    assert step.traces == 5 and len(step._cache) == 3


def test_floats_are_arguments_so_new_batches_of_one_size_share_one_trace():
    model = nn.MLP(2, [3, 1], seed=4)
    params = model.parameters()
    step = compile(lambda xs: sum(model(x) for x in xs))
    rng = random.Random(0)
    for _ in range(5):
        X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(4)]
        assert_same(compiled_call(step, params, X), interpreted(lambda xs: sum(model(x) for x in xs), params, X))
    assert step.traces == 2


def test_a_linear_node_of_any_width_is_written_as_plain_arithmetic():
    w = [Value(0.1 * i - 0.3, label=f"w{i}") for i in range(7)]
    b = Value(0.25, label="b")
    fn = lambda xs: linear(w, xs, b).tanh()  # noqa: E731
    step = compile(fn)
    xs = [0.5 * i - 1 for i in range(7)]
    assert_same(compiled_call(step, [*w, b], xs), interpreted(fn, [*w, b], xs))
    assert "b + w0 * xs_0 + w1 * xs_1" in step.source


def test_a_long_chain_and_a_very_wide_neuron_compile_and_agree():
    y0 = Value(1.0, label="y0")

    def chain():  # 100,000 nodes: expressions are cut into lines before Python's parser would choke
        y = y0
        for _ in range(25_000):
            y = y * 1.0001 + 0.5
        return (y * 1e-3).tanh()

    assert_same(compiled_call(compile(chain), [y0]), interpreted(chain, [y0]))
    w = [Value(0.001 * (i % 13) - 0.005) for i in range(6_000)]
    b = Value(0.5)
    wide = lambda xs: linear(w, xs, b).tanh()  # noqa: E731  one node with 12,001 operands
    xs = [0.01 * (i % 7) for i in range(6_000)]
    assert_same(compiled_call(compile(wide), [*w, b], xs), interpreted(wide, [*w, b], xs))


def test_custom_primitives_are_inlined_or_called_and_agree():
    @primitive("cube_compile_test", derivative=lambda out, x: 3 * x**2)
    def cube(x):
        return x * x * x

    def two_step_rule(out, a, b, c):  # branches on its inputs: called, not inlined
        if a > b:
            return (c, c, a + b)
        return (c, c, b + a)

    mix = primitive("mix_compile_test", derivative=two_step_rule, arity=3)(lambda a, b, c: (a + b) * c)
    p, q = Value(1.5, label="p"), Value(-0.5, label="q")
    fn = lambda x: mix(cube(p * x), q, p) + cube(q)  # noqa: E731
    step = compile(fn)
    for x in [0.5, -2.0]:
        assert_same(compiled_call(step, [p, q], x), interpreted(fn, [p, q], x))
    assert "mix_compile_test_derivative(" in step.source


def test_a_rule_that_computes_differently_on_floats_is_called_not_inlined():
    def odd_forward(a, b):  # on floats it adds; on anything else (symbols) it subtracts
        if type(a) is float:
            return a + b
        return a - b

    odd = Primitive("odd_compile_test", odd_forward, lambda out, a, b: (1.0, 1.0), 2)
    w = Value(2.0)
    fn = lambda x: odd(w, x) * w  # noqa: E731
    step = compile(fn)
    for x in [0.0, 1.0, -3.5]:  # traced at x = 0, where adding and subtracting agree
        assert_same(compiled_call(step, [w], x), interpreted(fn, [w], x))


def test_gradients_accumulate_across_calls_exactly_as_repeated_backward_does():
    w = Value(0.7, label="w")
    fn = lambda x: (w * x).sin() * w  # noqa: E731
    step = compile(fn)
    step(1.3)
    step(1.3)
    compiled_grad = w.grad
    w.grad = 0.0
    graph = fn(Value(1.3))
    graph.backward()
    graph.backward()
    assert compiled_grad == pytest.approx(w.grad, rel=1e-12)


def test_value_arguments_receive_their_gradient_and_numbers_extras_come_back_as_floats():
    w = Value(2.0, label="w")
    step = compile(lambda a, b: ((a * b + w) ** 2, [a * w, (b,)]))
    a, b = Value(3.0), Value(1.0)
    value, extras = step(a, b)
    assert value == pytest.approx(25.0)
    assert extras == [pytest.approx(6.0), (pytest.approx(1.0),)]
    # d/da (ab + w)^2 = 2(ab + w) b;  d/db = 2(ab + w) a;  d/dw = 2(ab + w)
    assert (a.grad, b.grad, w.grad) == (pytest.approx(10.0), pytest.approx(30.0), pytest.approx(10.0))


def test_the_same_value_passed_twice_stays_one_leaf():
    step = compile(lambda a, b: a * b)
    x = Value(3.0)
    assert step(x, x) == 9.0 and x.grad == 6.0
    y, z = Value(2.0), Value(5.0)
    assert step(y, z) == 10.0 and (y.grad, z.grad) == (5.0, 2.0)
    assert step.traces == 2  # (x, x) and (y, z) are different shapes
    three = compile(lambda a, b, c: a * b + c * 10)
    u, v = Value(3.0), Value(7.0)
    assert three(u, u, v) == 79.0 and (u.grad, v.grad) == (6.0, 10.0)


def test_parameters_are_read_fresh_each_call_and_constants_are_literals():
    y0 = Value(1.0, label="y0")

    def chain():
        y = y0
        for _ in range(3):
            y = y * 1.0001 + 0.5
        return y

    step = compile(chain)
    first = step()
    y0.data = 2.0
    assert step() == pytest.approx(chain().data, rel=1e-15) and step() != first
    assert "1.0001" in step.source and step.parameters == [y0]


def test_a_compiled_call_inside_no_grad_still_traces_and_fills_gradients():
    w = Value(3.0)
    step = compile(lambda x: w * x)
    with no_grad():
        assert step(2.0) == 6.0
    assert w.grad == 2.0


def test_a_function_returning_a_parameter_or_a_constant_works_like_backward():
    w = Value(4.0)
    assert compile(lambda: w)() == 4.0 and w.grad == 1.0
    assert compile(lambda x: Value(7.0) * 2)(1.0) == 14.0


def test_a_function_returning_an_argument_itself_returns_its_number_like_backward():
    # (the code read an argument only if an operation used it: returning one raised NameError)
    w = Value(0.5)
    step = compile(lambda x, z: (w * x, [x, z]))
    assert step(2.0, 3.0) == (1.0, [2.0, 3.0])
    assert w.grad == 2.0
    assert compile(lambda x: x)(2.5) == 2.5


# --- misuse: changed structure traces again or raises --------------------------------------


def test_a_graph_whose_shape_depends_on_data_raises_on_the_checked_call_and_never_runs_stale_code():
    w = Value(1.0)
    step = compile(lambda x: w * x if x.data > 0 else (w * x).tanh())
    step(1.0)
    with pytest.raises(ValueError, match="different graph"):
        step(-1.0)
    assert step(-1.0) == pytest.approx(math.tanh(-1.0))  # traced anew, not the code of the first branch


def test_a_constant_read_from_the_data_raises_on_the_checked_call():
    w = Value(1.0)
    step = compile(lambda x: w * x * x.data)
    step(2.0)
    with pytest.raises(ValueError, match="depend on data values"):
        step(3.0)


def test_a_new_number_or_nesting_of_arguments_traces_again():
    w = Value(1.0)
    step = compile(lambda xs, k=1: sum(x * w for x in xs) * k)
    assert step([1.0, 2.0]) == 3.0
    assert step([1.0, 2.0, 3.0]) == 6.0
    assert step([1.0, 2.0], 3) == 9.0  # an int is a setting: part of the shape
    assert step([1.0, 2.0], 4) == 12.0
    assert step.traces == 4


@pytest.mark.parametrize(
    "args, message",
    [
        ((Value(1.0) * 2,), "leaf Values"),
        (({"x": 1.0},), "hashable settings"),
    ],
)
def test_arguments_it_cannot_take_are_refused_with_what_it_accepts(args, message):
    step = compile(lambda x: Value(1.0))
    with pytest.raises(TypeError, match=message):
        step(*args)


def test_a_function_not_returning_a_value_is_refused():
    with pytest.raises(TypeError, match="must return a Value"):
        compile(lambda x: [x])(1.0)
    with pytest.raises(TypeError, match="needs a callable"):
        compile(3.0)


def test_hooks_are_refused_because_compiled_code_cannot_run_them():
    w = Value(1.0)
    w.register_hook(lambda g: g * 2)
    with pytest.raises(ValueError, match="hooks"):
        compile(lambda x: w * x)(2.0)


def test_under_detect_anomaly_the_compiled_function_runs_fn_as_written_so_its_checks_happen():
    w = Value(0.5)
    step = compile(lambda x: (w * x).log())
    assert step(2.0) == 0.0
    with detect_anomaly():
        assert step(4.0) == pytest.approx(math.log(2.0), rel=1e-15)
        with pytest.raises(FloatingPointError, match=r"log produced -inf from input 0\.0"):
            step(0.0)
    assert step.traces == 1  # the checked calls neither traced nor replaced the compiled code


def test_under_detect_anomaly_the_numbers_are_still_backwards():
    model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=3)
    params = model.parameters()
    X = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]

    def loss(xs):
        outs = [model(x) for x in xs]
        return sum((o - 0.5) ** 2 for o in outs), outs

    want, want_grads = interpreted(loss, params, X)
    step = compile(loss)
    for p in params:
        p.grad = 0.0
    with detect_anomaly():
        got, outs = step(X)
    assert close(got, want)
    assert all(close(p.grad, g) for p, g in zip(params, want_grads))
    assert [round(o, 12) for o in outs] == [round(model(x).data, 12) for x in X]


# --- memory ---------------------------------------------------------------------------------


def _values_alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def test_after_compiling_no_value_of_the_traced_graph_is_alive():
    model = nn.MLP(2, [8, 8, 1], seed=0)
    X = [[0.1 * i, -0.2 * i] for i in range(10)]
    before = _values_alive()
    step = compile(lambda xs: sum(model(x) for x in xs))
    step(X)
    step(X)  # the checked call traces again: that graph must go too
    assert _values_alive() == before
    assert step.traces == 2


# --- fit(compile=True) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, batch_size",
    [
        ("hinge", None),
        ("hinge", 8),
        ("mse", 8),
        ("bce", None),
        ("bce", 8),
        ("cross_entropy", None),
        ("cross_entropy", 8),
    ],
)
def test_fit_with_compile_records_the_same_history(loss, batch_size):
    X, y = nn.make_moons(30, seed=0) if loss != "cross_entropy" else nn.make_blobs(30, seed=0)
    outputs = 3 if loss == "cross_entropy" else 1
    histories = []
    for compiled in (False, True):
        model = nn.MLP(2, [6, 6, outputs], seed=5)
        optimizer = nn.Adam(model, lr=0.02) if loss == "mse" else None
        histories.append(
            nn.fit(
                model,
                X,
                y,
                loss=loss,
                steps=12,
                batch_size=batch_size,
                progress=False,
                seed=1,
                optimizer=optimizer,
                compile=compiled,
            )  # fmt: skip
        )
    plain, fast = histories
    assert all(close(a, b) for a, b in zip(plain.loss, fast.loss))
    assert plain.accuracy == fast.accuracy
    for a, b in zip(plain.update_ratio, fast.update_ratio):
        assert all(close(p, q, 1e-9) for p, q in zip(a, b))
    for a, b in zip(plain.grad_stats, fast.grad_stats):
        assert [s.status for s in a] == [s.status for s in b]


@pytest.mark.parametrize("loss", ["hinge", "mse", "bce", "cross_entropy"])
def test_fit_with_compile_traces_once_per_batch_size_whatever_the_labels(loss, monkeypatch):
    import nn.train

    made = []

    def recording_compile(fn, **options):
        made.append(compile(fn, **options))
        return made[-1]

    monkeypatch.setattr(nn.train, "compile_graph", recording_compile)
    X, y = nn.make_moons(40, seed=0) if loss != "cross_entropy" else nn.make_blobs(40, seed=0)
    model = nn.MLP(2, [4, 1 if loss != "cross_entropy" else 3], seed=3)
    nn.fit(model, X, y, loss=loss, steps=20, batch_size=8, progress=False, seed=2, compile=True)
    # 20 mini-batches of 8 with different labels: one trace, plus the check of the first repeat
    assert made[0].traces == 2


def test_compiled_cross_entropy_works_out_its_shift_on_every_call():
    logits = [Value(0.0), Value(1.0)]

    def loss(shift):
        return nn.losses.cross_entropy([[logits[0] * shift, logits[1]]], [1])

    step = compile(loss)
    step(1.0)  # traced where the largest logit is 1.0
    step(1.0)
    logits[0].data = 800.0  # now the largest is 800: a shift kept from the trace would give inf
    got, want = step(1.0), loss(1.0).data
    assert got == pytest.approx(want, rel=1e-15) and got == pytest.approx(799.0)


# --- an independent oracle --------------------------------------------------------------------


@pytest.mark.torch
def test_compiled_mlp_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    model = nn.MLP(3, [5, 4, 1], activation="tanh", seed=11)
    X = [[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]]
    step = compile(lambda xs: sum(model(x) for x in xs) ** 2)
    step(X)
    net = model.to_torch()
    out = net(torch.tensor(X, dtype=torch.float64)).sum() ** 2
    out.backward()
    torch_grads = [g for layer in net if hasattr(layer, "weight") for g in (layer.weight.grad, layer.bias.grad)]
    ours = {name: p.grad for name, p in model.named_parameters()}
    for i, layer_grads in enumerate(zip(torch_grads[0::2], torch_grads[1::2])):
        weight, bias = layer_grads
        for j in range(weight.shape[0]):
            for k in range(weight.shape[1]):
                assert ours[f"layers.{i}.neurons.{j}.w{k}"] == pytest.approx(weight[j, k].item(), rel=1e-9)
            assert ours[f"layers.{i}.neurons.{j}.b"] == pytest.approx(bias[j].item(), rel=1e-9, abs=1e-12)
