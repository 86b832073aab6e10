"""The tools around backward: grad(), gradcheck, detect_anomaly, hooks and no_grad."""

from __future__ import annotations

import inspect
import math
import operator
import os
import re
import threading

import pytest

from engine import Primitive, Value, detect_anomaly, enable_grad, grad, gradcheck, is_grad_enabled, no_grad

# --- grad() --------------------------------------------------------------------------------------


def test_grad_returns_one_float_per_input_in_order():
    x, y = Value(2.0), Value(-3.0)
    assert grad(x * y + x, [y, x]) == [2.0, -2.0]


def test_grad_leaves_every_grad_untouched_including_earlier_ones():
    x, y = Value(2.0), Value(-3.0)
    h = x * y
    out = h * h
    out.backward()
    before = [v.grad for v in (x, y, h, out)]
    grad(out, [x, y])
    grad(out, [h])
    assert [v.grad for v in (x, y, h, out)] == before


def test_grad_gives_zero_for_inputs_the_output_does_not_depend_on():
    x, unrelated = Value(2.0), Value(9.0)
    assert grad(x * x, [x, unrelated]) == [4.0, 0.0]


def test_grad_with_respect_to_an_interior_node_or_the_output_itself():
    x = Value(3.0)
    h = x * 2
    out = h * h
    assert grad(out, [h, out]) == [12.0, 1.0]


def test_grad_refuses_an_output_or_inputs_that_are_not_values():
    x = Value(1.0)
    with pytest.raises(TypeError, match="float"):
        grad(3.0, [x])
    with pytest.raises(TypeError, match="float"):
        grad(x * 2, [x, 1.0])


# --- gradcheck ----------------------------------------------------------------------------------


def test_gradcheck_accepts_correct_compositions():
    assert gradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, [0.3, 1.7]) is True
    assert gradcheck(lambda x: (x.sigmoid() * x.softplus()).sqrt(), [-0.8]) is True


# Wrong on purpose, and built as bare Primitive objects rather than with @primitive, so they
# stay out of the registry that test_ops.py walks.
WRONG_SQUARE = Primitive("wrong_square", lambda x: x * x, lambda out, x: 3 * x)  # should be 2x
SWAPPED_MUL = Primitive("swapped_mul", operator.mul, lambda out, a, b: (a, b), 2)  # should be (b, a)
HALF_WRONG_MUL = Primitive("half_wrong_mul", operator.mul, lambda out, a, b: (b, 0.0), 2)  # second is wrong


def _reported(message: str) -> dict[int, tuple[float, list[float]]]:
    """{input index: (its value, [the numbers reported for it])} parsed from a gradcheck message."""
    found = {}
    for part in re.split(r"(?=input \d)", message)[1:]:
        index = int(re.match(r"input (\d+)", part).group(1))
        numbers = [float(n) for n in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", part)]
        found[index] = (numbers[0], numbers[1:])
    return found


def test_gradcheck_raises_an_assertion_error_subclass_for_a_wrong_derivative():
    with pytest.raises(AssertionError) as caught:
        gradcheck(lambda x: WRONG_SQUARE(x), [1.5])
    assert type(caught.value) is not AssertionError and issubclass(type(caught.value), AssertionError)
    value, numbers = _reported(str(caught.value))[0]
    assert value == 1.5
    assert any(n == pytest.approx(4.5) for n in numbers)  # what backward said: 3x
    assert any(n == pytest.approx(3.0, rel=1e-6) for n in numbers)  # what the secant says: 2x


def test_gradcheck_lists_every_mismatching_input_with_its_value_and_both_numbers():
    with pytest.raises(AssertionError) as caught:
        gradcheck(lambda a, b: SWAPPED_MUL(a, b), [2.0, 5.0])
    reported = _reported(str(caught.value))
    assert sorted(reported) == [0, 1]
    assert reported[0][0] == 2.0 and sorted(reported[0][1]) == pytest.approx([2.0, 5.0], rel=1e-6)
    assert reported[1][0] == 5.0 and sorted(reported[1][1]) == pytest.approx([2.0, 5.0], rel=1e-6)


def test_gradcheck_lists_only_the_inputs_that_mismatch():
    with pytest.raises(AssertionError) as caught:
        gradcheck(lambda a, b: HALF_WRONG_MUL(a, b), [2.0, 5.0])
    assert sorted(_reported(str(caught.value))) == [1]


def test_gradcheck_honours_its_tolerances():
    # a derivative off by 0.01%: inside the default rtol of 1e-3, outside a strict 1e-6
    nearly = Primitive("nearly_square", lambda x: x * x, lambda out, x: 2.0002 * x)
    assert gradcheck(lambda x: nearly(x), [1.0]) is True
    with pytest.raises(AssertionError):
        gradcheck(lambda x: nearly(x), [1.0], atol=0.0, rtol=1e-6)


def test_gradcheck_needs_f_to_return_a_value():
    with pytest.raises(TypeError, match="float"):
        gradcheck(lambda x: 1.0, [0.5])


# --- detect_anomaly -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, op, shown",
    [
        (lambda: Value(0.0).log(), "log", ["0.0"]),
        (lambda: Value(-1.0).sqrt(), "sqrt", ["-1.0"]),
        (lambda: Value(1000.0).exp(), "exp", ["1000.0"]),
        (lambda: Value(-8.0) ** Value(0.5), "**", ["-8.0", "0.5"]),
        (lambda: Value(3.0) / 0.0, None, ["inf"]),  # division is composed: either node may be named
        (lambda: 2.0 / Value(0.0), None, ["0.0"]),
    ],
    ids=["log(0)", "sqrt(-1)", "exp(1000)", "(-8)**0.5", "Value(3)/0", "2/Value(0)"],
)
def test_anomaly_mode_stops_the_forward_pass_at_the_op_that_made_nan_or_inf(build, op, shown):
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        build()
    message = str(caught.value)
    assert op is None or re.search(rf"(^|\s){re.escape(op)}\s", message), message
    for number in shown:
        assert number in message, message
    assert f"from {'input' if len(shown) == 1 else 'inputs'} " in message or op is None, message


def test_anomaly_mode_stops_backward_at_the_op_whose_gradient_became_infinite_and_says_where_it_was_made():
    with detect_anomaly():
        x = Value(0.0)
        root = x.sqrt()
        line = inspect.currentframe().f_lineno - 1
        y = root * 3.0 + 1.0
        with pytest.raises(FloatingPointError) as caught:
            y.backward()
    message = str(caught.value)
    assert "sqrt" in message
    assert f"{os.path.basename(__file__)}:{line}" in message, message


def test_anomaly_mode_reports_a_nan_gradient_made_in_backward():
    # (-2) ** 2 = 4 is finite, but its slope in the exponent, 4 log(-2), is not a real number
    with detect_anomaly():
        base, exponent = Value(-2.0), Value(2.0)
        y = base**exponent
        with pytest.raises(FloatingPointError, match=r"\*\*.*nan"):
            y.backward()


@pytest.mark.parametrize("create_graph", [False, True])
def test_anomaly_mode_checks_grad_as_it_checks_backward(create_graph):
    with detect_anomaly():
        x = Value(0.0)
        root = x.sqrt()
        with pytest.raises(FloatingPointError, match=r"^backward of sqrt gave gradient inf to its input 0"):
            grad(root * 3.0, [x], create_graph=create_graph)


def test_anomaly_mode_does_not_blame_an_op_for_a_gradient_its_leaf_held_already():
    x = Value(1.0)
    x.grad = math.inf  # left over from an earlier backward
    with detect_anomaly():
        (x * 2.0).backward()  # this step adds a finite 2.0: nothing to report
    assert x.grad == math.inf


def test_anomaly_mode_on_a_graph_built_outside_it_says_how_to_see_where_the_node_was_made():
    x = Value(0.0)
    root = x.sqrt()
    with detect_anomaly(), pytest.raises(FloatingPointError, match="build the graph inside detect_anomaly"):
        root.backward()


def test_without_anomaly_mode_nan_and_inf_flow_silently():
    x = Value(0.0)
    y = x.log() * 2
    y.backward()
    assert y.data == -math.inf and x.grad == math.inf


def test_anomaly_mode_ends_with_its_block_even_after_an_exception():
    with pytest.raises(FloatingPointError), detect_anomaly():
        Value(0.0).log()
    assert Value(0.0).log().data == -math.inf  # no longer raises


def _in_two_threads(mode, inside, beside):
    """Call `inside()` in a thread within `mode()` and `beside()` in another thread meanwhile.

    Returns what each call returned, or the exception it raised (caught, so that neither thread
    is left waiting for the other). Modes live in contextvars: the second thread must not see one.
    """
    entered, done = threading.Barrier(2), threading.Barrier(2)
    results = {}

    def call(key, fn):
        try:
            results[key] = fn()
        except Exception as error:
            results[key] = error

    def in_mode():
        with mode():
            entered.wait()
            call("inside", inside)
            done.wait()

    def beside_it():
        entered.wait()  # the other thread is inside the mode now
        call("beside", beside)
        done.wait()

    threads = [threading.Thread(target=in_mode), threading.Thread(target=beside_it)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results["inside"], results["beside"]


def test_anomaly_mode_in_one_thread_leaves_another_thread_alone():
    def log_of_zero():
        return Value(0.0).log().data

    anomalous, relaxed = _in_two_threads(detect_anomaly, log_of_zero, log_of_zero)
    assert isinstance(anomalous, FloatingPointError)
    assert relaxed == -math.inf


def test_modes_entered_and_left_by_many_threads_at_once_still_hold_in_each_thread():
    # every op asks "is any mode block open?" before it looks at its thread's mode; if threads
    # racing in and out of scopes lost a count, a no_grad block elsewhere would record a graph
    from engine import current_scope, is_grad_enabled, no_grad, scope
    from engine.modes import _open_blocks

    recorded = []
    start = threading.Barrier(5)

    def churn(k):
        start.wait()
        for _ in range(20_000):
            with scope(f"t{k}"):
                pass

    def without_grad():
        with no_grad():
            start.wait()
            for _ in range(20_000):
                if (Value(1.0) * 2).parents:
                    recorded.append(True)

    threads = [threading.Thread(target=churn, args=(k,)) for k in range(4)] + [threading.Thread(target=without_grad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert recorded == []
    assert _open_blocks == [] and is_grad_enabled() and current_scope() == ""  # every block ended
    assert (Value(1.0) * 2).scope == "" and len((Value(1.0) * 2).parents) == 2


# --- hooks --------------------------------------------------------------------------------------


def test_a_hook_is_called_once_with_the_complete_gradient():
    x = Value(3.0)
    h = x * 2.0
    out = h * h + h * 3.0  # h is used three times: d out/d h = 2h + 3 = 15
    calls = []
    h.register_hook(calls.append)
    out.backward()
    assert calls == [15.0]
    assert x.grad == 30.0


def test_a_number_returned_by_a_hook_replaces_the_gradient_that_flows_on():
    x, w = Value(3.0), Value(0.5)
    h = x * w
    out = h * h + x  # d out/d h = 2h = 3; x also has a direct path
    h.register_hook(lambda g: g * 10)
    out.backward()
    assert h.grad == 30.0
    assert w.grad == 30.0 * 3.0  # through h only
    assert x.grad == 30.0 * 0.5 + 1.0  # the direct path is not scaled


def test_hooks_on_one_node_run_in_registration_order_each_seeing_the_last_result():
    x = Value(1.0)
    y = x * 1.0
    seen = []
    y.register_hook(lambda g: seen.append(("first", g)) or g + 1)
    y.register_hook(lambda g: seen.append(("second", g)) or g * 10)
    y.backward()
    assert seen == [("first", 1.0), ("second", 2.0)]
    assert x.grad == 20.0


def test_a_hook_returning_none_keeps_the_gradient():
    x = Value(2.0)
    y = x * x
    y.register_hook(lambda g: None)
    y.backward()
    assert x.grad == 4.0


def test_the_handle_returned_by_register_hook_removes_the_hook():
    x = Value(2.0)
    y = x * x
    calls = []
    remove = y.register_hook(lambda g: calls.append(g) or 0.0)
    remove()
    y.backward()
    assert calls == [] and x.grad == 4.0


def test_a_hook_on_a_leaf_sees_only_this_backwards_gradient_and_can_replace_it():
    x = Value(2.0)
    y = x * x
    y.backward()  # x.grad = 4
    seen = []
    remove = x.register_hook(lambda g: seen.append(g))
    y.backward()
    assert seen == [4.0] and x.grad == 8.0
    remove()
    x.register_hook(lambda g: 100.0)
    y.backward()
    assert x.grad == 108.0  # the replacement is what accumulates


def test_a_backward_that_fails_leaves_a_hooked_leaf_the_gradient_it_held():
    def broken(g):
        raise RuntimeError("a hook with a bug")

    x = Value(1.0)
    x.grad = 5.0
    x.register_hook(broken)
    with pytest.raises(RuntimeError, match="a hook with a bug"):
        (x * 2.0).backward()
    assert x.grad == 5.0

    y = Value(0.0)
    y.grad = 5.0
    y.register_hook(lambda g: None)
    with detect_anomaly(), pytest.raises(FloatingPointError):
        y.sqrt().backward()
    assert y.grad == 5.0


def test_register_hook_needs_a_callable():
    with pytest.raises(TypeError, match="int"):
        Value(1.0).register_hook(3)


@pytest.mark.torch
def test_hooks_on_interior_nodes_and_leaves_act_as_in_pytorch_over_two_backward_calls():
    torch = pytest.importorskip("torch")

    def run(x, w, tanh, backward):
        h = x * w
        h.register_hook(lambda g: g * 3)
        x.register_hook(lambda g: g + 0.5)
        out = tanh(h) * h + x
        backward(out)
        first = (float(x.grad), float(w.grad))
        backward(out)
        return first, (float(x.grad), float(w.grad))

    ours = run(Value(0.7), Value(-1.3), Value.tanh, lambda out: out.backward())
    tx = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    tw = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    theirs = run(tx, tw, torch.tanh, lambda out: out.backward(retain_graph=True))
    for mine, reference in zip(ours, theirs):
        assert mine == pytest.approx(reference, rel=1e-12)


# --- no_grad ------------------------------------------------------------------------------------


def test_no_grad_builds_no_graph():
    x = Value(2.0)
    with no_grad():
        y = x * 3 + 1
        z = y.tanh()
    assert (y.parents, z.parents, y.op, z.op) == ((), (), "", "")
    assert z.data == pytest.approx(math.tanh(7.0), rel=1e-15)
    z.backward()
    assert x.grad == 0.0


def test_no_grad_nests_and_enable_grad_reopens_recording_inside_it():
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            assert not is_grad_enabled()
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
            recorded = Value(1.0) * 2
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert recorded.op == "*"


def test_no_grad_is_undone_when_its_block_raises():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("inside no_grad")
    assert is_grad_enabled()
    assert (Value(1.0) * 2).op == "*"


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    def op_of_a_product():
        return (Value(1.0) * 2).op

    assert _in_two_threads(no_grad, op_of_a_product, op_of_a_product) == ("", "*")


def test_the_same_scope_entered_in_two_threads_at_once_tags_each_threads_nodes_with_its_own_path():
    import threading

    from engine import scope

    barrier = threading.Barrier(2)
    paths = {}

    def work(outer):
        with scope(outer):
            barrier.wait()
            with scope("shared"):
                barrier.wait()  # both threads are inside the same scope object now
                inside = (Value(1.0) * 2).scope
            barrier.wait()
            after = (Value(1.0) * 2).scope
        paths[outer] = (inside, after, (Value(1.0) * 2).scope)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert paths == {"left": ("left.shared", "left", ""), "right": ("right.shared", "right", "")}
