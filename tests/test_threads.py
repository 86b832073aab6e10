"""Mode blocks shared between threads: one `no_grad()` object entered by many threads at once,
and re-entered inside itself, must leave every thread in the default mode afterwards."""

import sys
import threading

import pytest

from engine import Value, detect_anomaly, enable_grad, modes, no_grad, scope
from engine.modes import is_grad_enabled


@pytest.fixture
def tiny_switch_interval():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_one_no_grad_object_nested_in_itself():
    block = no_grad()
    with block:
        with block:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert (Value(1.0) * 2).parents


@pytest.mark.parametrize("make", [no_grad, enable_grad, detect_anomaly, lambda: scope("shared")])
def test_shared_block_across_threads(make, tiny_switch_interval):
    block = make()
    errors, after = [], []

    def work():
        try:
            for _ in range(300):
                with block:
                    with block:
                        Value(1.0) + 1
            after.append(
                (is_grad_enabled(), modes._mode.get().anomaly, modes.current_scope(), bool((Value(1.0) * 2).parents))
            )
        except Exception as error:  # noqa: BLE001 (reported below, with its thread)
            errors.append(repr(error))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert after == [(True, False, "", True)] * 4
    assert modes._open_blocks == []
