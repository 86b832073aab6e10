"""Toy datasets: right shapes and labels, exact geometry without noise, deterministic per seed."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from nn import make_blobs, make_circles, make_moons, make_spirals

MAKERS = [make_moons, make_circles, make_blobs, make_spirals]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("n", [1, 7, 100])
def test_returns_n_points_of_two_floats_and_integer_labels(make, n):
    X, y = make(n, seed=0)
    assert len(X) == len(y) == n
    assert all(isinstance(p, list) and len(p) == 2 and all(type(c) is float for c in p) for p in X)
    assert all(type(label) is int and label >= 0 for label in y)


@pytest.mark.parametrize("make", MAKERS)
def test_same_seed_same_data_and_another_seed_other_data(make):
    assert make(50, seed=3) == make(50, seed=3)
    assert make(50, seed=3) != make(50, seed=4)


@pytest.mark.parametrize("make", MAKERS)
def test_making_data_leaves_global_random_alone(make):
    random.seed(5)
    expected = random.random()
    random.seed(5)
    make(30, seed=1)
    make(30)
    assert random.random() == expected


def test_moons_without_noise_lie_exactly_on_the_two_unit_half_circles():
    X, y = make_moons(101, noise=0.0, seed=0)
    assert sorted(y) == [0] * 50 + [1] * 51
    for (a, b), label in zip(X, y):
        if label == 0:  # upper half of the circle around (0, 0)
            assert math.hypot(a, b) == pytest.approx(1.0, abs=1e-12) and b >= -1e-12
        else:  # lower half of the circle around (1, 0.5)
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0, abs=1e-12) and b <= 0.5 + 1e-12
    lower = sorted(p for p, label in zip(X, y) if label == 1)
    assert lower[0] == pytest.approx([0.0, 0.5], abs=1e-12) and lower[-1] == pytest.approx([2.0, 0.5], abs=1e-12)


def test_moons_noise_is_gaussian_with_the_given_spread():
    clean, _ = make_moons(2000, noise=0.0, seed=2, shuffle=False)
    noisy, _ = make_moons(2000, noise=0.2, seed=2, shuffle=False)
    offsets = [n[i] - c[i] for n, c in zip(noisy, clean) for i in range(2)]
    assert statistics.mean(offsets) == pytest.approx(0.0, abs=0.01)
    assert statistics.stdev(offsets) == pytest.approx(0.2, rel=0.05)


def test_circles_without_noise_are_the_unit_ring_and_the_inner_ring():
    X, y = make_circles(60, noise=0.0, factor=0.3, seed=0)
    for p, label in zip(X, y):
        assert math.hypot(*p) == pytest.approx(1.0 if label == 0 else 0.3, abs=1e-12)
    assert y.count(0) == y.count(1) == 30


def test_blobs_gather_around_their_given_centres():
    centres = [[-5.0, 0.0], [5.0, 5.0], [0.0, -8.0]]
    X, y = make_blobs(300, noise=0.5, centers=centres, seed=1)
    assert [y.count(j) for j in range(3)] == [100, 100, 100]
    for j, (cx, cy) in enumerate(centres):
        members = [p for p, label in zip(X, y) if label == j]
        assert statistics.mean(p[0] for p in members) == pytest.approx(cx, abs=0.15)
        assert statistics.mean(p[1] for p in members) == pytest.approx(cy, abs=0.15)


def test_blobs_with_a_count_draws_that_many_centres_in_the_box():
    X, y = make_blobs(10, noise=0.0, centers=4, box=(2.0, 3.0), seed=0)
    assert sorted(set(y)) == [0, 1, 2, 3] and [y.count(j) for j in range(4)] == [3, 3, 2, 2]
    assert all(2.0 <= c <= 3.0 for p in X for c in p)


def test_spirals_have_one_arm_per_class_reaching_radius_one():
    X, y = make_spirals(90, noise=0.0, classes=3, seed=0)
    assert [y.count(j) for j in range(3)] == [30, 30, 30]
    for j in range(3):
        radii = sorted(math.hypot(*p) for p, label in zip(X, y) if label == j)
        assert radii[-1] == pytest.approx(1.0) and radii[0] == pytest.approx(1 / 30)


def test_shuffle_false_keeps_the_classes_in_order():
    _, y = make_moons(10, noise=0.0, shuffle=False)
    assert y == [0] * 5 + [1] * 5


def test_datasets_need_no_numpy_or_scikit_learn():
    import nn.data

    source = open(nn.data.__file__, encoding="utf-8").read()
    assert "import numpy" not in source and "sklearn" not in source


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: make_moons(0), ValueError, "n_samples must be a positive integer, got 0"),
        (lambda: make_moons(10.5), ValueError, "n_samples must be a positive integer"),
        (lambda: make_moons(10, noise=-0.1), ValueError, "noise must be a finite number >= 0"),
        (lambda: make_circles(10, factor=1.5), ValueError, "factor"),
        (lambda: make_spirals(10, classes=0), ValueError, "classes must be a positive integer"),
        (lambda: make_blobs(10, centers=[]), ValueError, "at least one"),
        (lambda: make_blobs(10, centers=["ab", "cd"]), TypeError, "list of \\[x, y\\] pairs"),
        (lambda: make_moons(10, seed="one"), TypeError, "seed must be an int or None, got str"),
    ],
)
def test_bad_arguments_raise_with_what_was_given(call, error, message):
    with pytest.raises(error, match=message):
        call()
