"""chainrule's neural-network package, built on `engine` (modules, losses, optimizers, data)."""

from __future__ import annotations

__all__: list[str] = []
