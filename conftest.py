"""Doctests that draw with matplotlib skip, saying why, where matplotlib is not installed.

`pip install -e '.[test]'` alone must give a green `pytest`; matplotlib comes with the `[plot]`
extra. (Tests in tests/ skip themselves with pytest.importorskip; a doctest cannot, so this
marks those whose examples plot.)
"""

from __future__ import annotations

import importlib.util

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if importlib.util.find_spec("matplotlib") is not None:
        return
    skip = pytest.mark.skip(reason="draws with matplotlib, which is not installed: pip install -e '.[plot]'")
    for item in items:
        examples = getattr(getattr(item, "dtest", None), "examples", [])
        if any("plot" in example.source for example in examples):
            item.add_marker(skip)
