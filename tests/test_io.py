"""save/load: JSON files, written atomically, loaded all-or-nothing."""

from __future__ import annotations

import json
import math
import os
import threading

import pytest

import nn.io
from nn import MLP, load, save


def test_a_saved_model_loads_into_a_fresh_one_with_identical_outputs(tmp_path):
    trained = MLP(2, [5, 3, 1], activation="tanh", seed=1)
    path = tmp_path / "model.json"
    save(trained, path)
    fresh = load(MLP(2, [5, 3, 1], activation="tanh", seed=2), path)
    for x in ([0.1, 0.2], [-1.0, 3.0]):
        assert fresh(x).data == trained(x).data


def test_the_file_is_plain_json_holding_every_parameter_by_name(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    path = tmp_path / "model.json"
    save(model, str(path))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "chainrule-state" and document["version"] == 1 and document["model"] == "MLP"
    assert document["parameters"] == model.state_dict()
    assert "layers.1.neurons.0.w1" in document["parameters"]


def test_save_overwrites_atomically_and_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "model.json"
    save(MLP(2, [2, 1], seed=0), path)
    save(MLP(2, [2, 1], seed=1), path)
    assert os.listdir(tmp_path) == ["model.json"]
    assert json.loads(path.read_text())["parameters"] == MLP(2, [2, 1], seed=1).state_dict()


def test_a_crash_during_save_keeps_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    save(MLP(2, [2, 1], seed=0), path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(nn.io.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save(MLP(2, [2, 1], seed=1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda text: text[: len(text) // 2], "not valid JSON"),
        (lambda text: "", "not valid JSON"),
        (lambda text: "[1, 2, 3]", "not a chainrule model file"),
        (lambda text: text.replace('"version": 1', '"version": 99'), "format version 99"),
        (lambda text: text.replace("0.", '"x', 1), "not valid JSON|real numbers"),
        (lambda text: text.replace(": 0.0", ": 1" + "0" * 400, 1), "non-finite"),  # too large for a float
        (lambda text: text.replace("{", "{\udc80", 1), "not valid JSON"),  # a byte that is not UTF-8
    ],
)
def test_a_truncated_or_malformed_file_raises_value_error_and_changes_nothing(tmp_path, corrupt, message):
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], seed=0), path)
    path.write_bytes(corrupt(path.read_text()).encode("utf-8", "surrogateescape"))
    model = MLP(2, [3, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message) as raised:
        load(model, path)
    assert str(raised.value).startswith(str(path))  # the message says which file
    assert model.state_dict() == before


def test_a_string_where_a_number_belongs_raises_value_error_and_changes_nothing(tmp_path):
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], seed=0), path)
    document = json.loads(path.read_text())
    document["parameters"]["layers.0.neurons.2.w1"] = "0.25"
    path.write_text(json.dumps(document))
    model = MLP(2, [3, 1], seed=5)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"layers.0.neurons.2.w1 \(str\)"):
        load(model, path)
    assert model.state_dict() == before


def test_a_file_for_another_architecture_names_the_mismatch_and_changes_nothing(tmp_path):
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], seed=0), path)
    model = MLP(2, [4, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(KeyError, match="missing layers.0.neurons.3.w0"):
        load(model, path)
    assert model.state_dict() == before


def test_a_diverged_model_is_not_saved(tmp_path):
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match="non-finite parameters.*layers.0.neurons.0.b"):
        save(model, tmp_path / "model.json")
    assert os.listdir(tmp_path) == []


def test_save_and_load_need_a_module():
    with pytest.raises(TypeError, match="needs an nn.Module, got dict"):
        save({}, "unused.json")
    with pytest.raises(TypeError, match="needs an nn.Module to fill, got list"):
        load([], "unused.json")


def test_no_pickle_is_involved():
    source = open(nn.io.__file__, encoding="utf-8").read()
    assert "import pickle" not in source


def test_a_saved_model_is_readable_like_any_file_the_user_writes(tmp_path):
    import os

    from nn import MLP, save

    path = tmp_path / "model.json"
    save(MLP(2, [1], seed=0), path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not the 0600 of a private temporary file


# --- hostile files (issue 14): each refused with one line of ValueError, the model unchanged ----


def refused(model, path, message: str) -> str:
    before = model.state_dict()
    with pytest.raises(ValueError, match=message) as raised:
        load(model, path)
    assert model.state_dict() == before
    said = str(raised.value)
    assert "\n" not in said and said.startswith(str(path))
    return said


def test_json_nested_far_too_deeply_is_a_value_error_not_a_recursion_error(tmp_path):
    model = MLP(2, [60, 60, 1], seed=0)  # 3,901 parameters: a 100,000-byte file is within its cap
    path = tmp_path / "deep.json"
    path.write_text("[" * 10**5)
    refused(model, path, "nested too deeply")


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda text: text.replace('"format"', '"version": 1, "format"', 1), "'version'"),  # the top level
        (lambda text: text.replace('"layers.0.neurons.0.w1"', '"layers.0.neurons.0.w0"', 1), "'layers.0.neurons.0.w0'"),
    ],
    ids=["in the header", "among the parameters"],
)
def test_a_key_given_twice_is_refused_by_name(tmp_path, edit, key):
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], seed=0), path)
    path.write_text(edit(path.read_text()))
    said = refused(MLP(2, [3, 1], seed=5), path, "more than once")
    assert f"the key {key} more than once" in said


def test_a_duplicate_key_deep_inside_any_value_is_refused_too(tmp_path):
    path = tmp_path / "model.json"
    save(MLP(2, [1], seed=0), path)
    document = path.read_text().replace('"model": "MLP"', '"model": [{"a": 1, "a": 2}]', 1)
    path.write_text(document)
    assert "the key 'a' more than once" in refused(MLP(2, [1], seed=5), path, "more than once")


def test_dev_zero_is_refused_without_reading_it():
    refused(MLP(2, [1], seed=0), "/dev/zero", "is a device or special file, not a regular file")


def test_a_fifo_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path):
    path = tmp_path / "model.json"
    os.mkfifo(path)
    # The test holds both ends (O_RDWR), so a load that wrongly opened the FIFO would not block in
    # open; it would block in read, waiting for the end of the data, until the guard below closes
    # the test's end and so ends the data. A correct load never opens it: the guard never fires.
    both_ends = os.open(path, os.O_RDWR)
    os.write(both_ends, b"{}")
    closed = threading.Lock()

    def close_once():
        if closed.acquire(blocking=False):
            os.close(both_ends)

    guard = threading.Timer(30.0, close_once)
    guard.start()
    try:
        refused(MLP(2, [1], seed=0), path, "is a FIFO, not a regular file")
    finally:
        guard.cancel()
        close_once()


def test_a_folder_is_refused(tmp_path):
    refused(MLP(2, [1], seed=0), tmp_path, "is a folder, not a regular file")


def test_a_file_far_larger_than_the_model_needs_is_refused_saying_its_size_and_the_cap(tmp_path):
    model = MLP(2, [3, 1], seed=0)  # 13 parameters
    names = sum(len(name) for name in model.state_dict())
    cap = 16 * 1024 + 13 * 200 + names
    path = tmp_path / "model.json"
    save(MLP(2, [3, 1], seed=1), path)
    padded = path.read_text().replace("{", "{" + " " * (cap - path.stat().st_size + 1), 1)
    path.write_text(padded)
    assert path.stat().st_size == cap + 1
    said = refused(model, path, "more than the")
    assert f"holds {cap + 1:,} bytes, more than the {cap:,}" in said and "13 parameters" in said
    path.write_text(padded.replace(" ", "", 1))  # exactly the cap: read and loaded
    assert load(model, path).state_dict() == MLP(2, [3, 1], seed=1).state_dict()


def test_load_reads_no_more_than_one_byte_past_the_cap(tmp_path, monkeypatch):
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:
        f.truncate(10**9)  # a sparse gigabyte: reading it all would take a second and the memory
    asked = []
    real_open = open

    class Counting:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def read(self, n=-1):
            asked.append(n)
            return self.f.read(n)

    monkeypatch.setattr(nn.io, "open", lambda *a, **k: Counting(real_open(*a, **k)), raising=False)
    said = refused(MLP(2, [1], seed=0), path, "holds 1,000,000,000 bytes")
    assert len(asked) == 1 and 0 < asked[0] < 20_000, asked
    assert "3 parameters" in said
