"""Optimizers: update for update the same as torch.optim, learning-rate schedules, errors."""

from __future__ import annotations

import math

import pytest

from engine import Value
from nn import MLP, SGD, Adam, AdamW

START = [0.8, -1.3, 0.4, 2.0, -0.6]


def _loss(p, tanh, exp):
    """A bumpy function of five numbers, written once for Values and once for tensors."""
    return (
        (p[0] - 1.5) ** 2
        + 3 * (p[1] + 0.5) ** 2
        + tanh(p[0] * p[1])
        + p[2] ** 2 * p[3]
        + exp(-p[3]) * 2
        + 0.1 * p[4] ** 4
        - p[4] * p[2]
    )


def _run_ours(make_optimizer, steps=25):
    params = [Value(x) for x in START]
    optimizer = make_optimizer(params)
    for _ in range(steps):
        optimizer.zero_grad()
        _loss(params, Value.tanh, Value.exp).backward()
        optimizer.step()
    return [p.data for p in params]


def _run_torch(torch, make_optimizer, steps=25, schedule=None):
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    optimizer = make_optimizer(params)
    for k in range(steps):
        if schedule is not None:
            for group in optimizer.param_groups:
                group["lr"] = schedule(k)
        optimizer.zero_grad()
        _loss(params, torch.tanh, torch.exp).backward()
        optimizer.step()
    return [p.item() for p in params]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


SGD_OPTIONS = [
    {"lr": 0.05},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.02, "momentum": 0.8, "nesterov": True},
    {"lr": 0.05, "weight_decay": 0.1},
    {"lr": 0.03, "momentum": 0.5, "nesterov": True, "weight_decay": 0.01},
]


ADAM_OPTIONS = [
    {"lr": 0.1},
    {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.1, "weight_decay": 0.2},
]
ADAMW_OPTIONS = [{"lr": 0.1}, {"lr": 0.05, "weight_decay": 0.3, "betas": (0.85, 0.995)}]
FOLLOWS_TORCH = (
    [(SGD, "SGD", o) for o in SGD_OPTIONS]
    + [(Adam, "Adam", o) for o in ADAM_OPTIONS]
    + [(AdamW, "AdamW", o) for o in ADAMW_OPTIONS]
)


@pytest.mark.torch
@pytest.mark.parametrize(
    "ours_class, torch_name, options",
    FOLLOWS_TORCH,
    ids=[f"{name}:" + ",".join(f"{k}={v}" for k, v in o.items()) for _, name, o in FOLLOWS_TORCH],
)
def test_each_optimizer_follows_its_torch_optim_namesake_for_25_steps(torch, ours_class, torch_name, options):
    ours = _run_ours(lambda ps: ours_class(ps, **options))
    theirs = _run_torch(torch, lambda ps: getattr(torch.optim, torch_name)(ps, **options))
    assert ours == pytest.approx(theirs, abs=1e-9)
    assert ours != pytest.approx(START, abs=1e-3)  # the parameters really moved


@pytest.mark.torch
def test_adamw_and_adam_differ_when_weight_decay_is_used(torch):
    assert _run_ours(lambda ps: AdamW(ps, lr=0.1, weight_decay=0.3)) != pytest.approx(
        _run_ours(lambda ps: Adam(ps, lr=0.1, weight_decay=0.3)), abs=1e-6
    )


@pytest.mark.torch
@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda ps, lr: SGD(ps, lr=lr, momentum=0.9), lambda torch, ps: torch.optim.SGD(ps, lr=0.0, momentum=0.9)),
        (lambda ps, lr: Adam(ps, lr=lr), lambda torch, ps: torch.optim.Adam(ps, lr=0.0)),
    ],
    ids=["sgd", "adam"],
)
def test_a_callable_learning_rate_is_a_schedule_of_the_step_count(torch, ours, theirs):
    def schedule(k):
        return 0.1 * (1.0 - 0.9 * k / 25)  # micrograd's decay, scaled

    got = _run_ours(lambda ps: ours(ps, schedule))
    expected = _run_torch(torch, lambda ps: theirs(torch, ps), schedule=schedule)
    assert got == pytest.approx(expected, abs=1e-9)


def test_schedule_receives_zero_based_step_counts():
    seen = []
    w = Value(1.0)
    optimizer = SGD([w], lr=lambda k: seen.append(k) or 0.1)
    for _ in range(3):
        w.grad = 1.0
        optimizer.step()
    assert seen == [0, 1, 2]
    assert w.data == pytest.approx(0.7)


def test_plain_sgd_is_micrograds_update():
    w = Value(2.0)
    w.grad = 0.5
    SGD([w], lr=0.1).step()
    assert w.data == pytest.approx(2.0 - 0.1 * 0.5)


def test_adams_first_step_moves_each_parameter_by_lr_whatever_its_gradient_scale():
    a, b = Value(1.0), Value(1.0)
    a.grad, b.grad = 1e-4, 1e4
    Adam([a, b], lr=0.01).step()
    assert a.data == pytest.approx(0.99, abs=1e-6) and b.data == pytest.approx(0.99, abs=1e-9)


def test_weight_decay_left_out_is_torchs_default_none_for_adam_a_hundredth_for_adamw():
    a, w = Value(1.0), Value(1.0)  # a gradient of 0: only weight decay can move them
    Adam([a], lr=0.1).step()
    AdamW([w], lr=0.1).step()
    assert a.data == 1.0
    assert w.data == pytest.approx(1 - 0.1 * 0.01, rel=1e-15)


def test_optimizer_zero_grad_clears_its_parameters():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 1.0]).backward()
    optimizer = Adam(model.parameters())
    optimizer.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_module_may_be_given_instead_of_its_parameters():
    model = MLP(2, [3, 1], seed=0)
    assert SGD(model, lr=0.1).params == model.parameters()


def test_sgd_trains_a_small_model_on_a_regression_target():
    model = MLP(1, [8, 1], activation="tanh", seed=3)
    xs = [i / 5 - 1 for i in range(11)]
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)

    def loss():
        return sum((model([x]) - math.sin(2 * x)) ** 2 for x in xs) * (1 / len(xs))

    first = loss().data
    for _ in range(100):
        optimizer.zero_grad()
        current = loss()
        current.backward()
        optimizer.step()
    assert loss().data < 0.1 * first


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda: SGD([1.0], lr=0.1), TypeError, r"params\[0\] must be a Value, got float"),
        (lambda: SGD(Value(1.0), lr=0.1), TypeError, "iterable of Values"),
        (lambda: SGD([Value(1.0)], lr=-1), ValueError, "lr must be a finite number >= 0, got -1"),
        (lambda: SGD([Value(1.0)], lr=0.1, nesterov=True), ValueError, "nesterov=True needs a momentum"),
        (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, r"betas\[1\] must be in \[0, 1\)"),
        (lambda: Adam([Value(1.0)], betas=0.9), TypeError, "betas must be a pair"),
        (lambda: AdamW([Value(1.0)], weight_decay=-0.1), ValueError, "weight_decay must be"),
    ],
)
def test_bad_optimizer_settings_raise_naming_what_is_accepted(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_schedule_returning_a_negative_rate_is_reported_with_its_step():
    w = Value(1.0)
    optimizer = SGD([w], lr=lambda k: 0.1 - k)
    optimizer.step()
    with pytest.raises(ValueError, match="lr schedule at step 1"):
        optimizer.step()


def test_adam_and_adamw_show_the_issues_and_torchs_default_weight_decay_in_their_signatures():
    import inspect

    from nn import Adam, AdamW

    assert inspect.signature(Adam).parameters["weight_decay"].default == 0.0
    assert inspect.signature(AdamW).parameters["weight_decay"].default == 0.01
