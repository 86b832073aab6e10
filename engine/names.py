"""What a node is called when a person is told about it: the one naming rule.

A caption that says "the + node (-0.2771).grad += ..." can mean two different nodes; so can
"w0.grad" in a network where every neuron has a `w0`. Drawings, step-through captions, tooltips,
anomaly messages and the compiler's source all name nodes by this rule instead:

- an unlabelled node is `n` and its place in the walk (`topological_order`, inputs first, the
  root last), as in the drawings' node ids: `n12`. The same graph always gives the same names;
- a labelled node is its label (`x1`, `loss`) when no other node of the walk is called that;
- a label that several nodes share gets the node's scope in front (`layers.1.neurons.3.w0`, the
  name `named_parameters()` gives it), and if that is still shared, its place: `x0@n7`.

"The walk" is the one being shown: a drawing that opens nn's fused `w·x+b` nodes into their
parts counts the parts too, so there an unlabelled node's number is its place among the drawn nodes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = ["auto_name", "node_names"]


def auto_name(i: int) -> str:
    """The name of an unlabelled node at place `i` of the walk.

    >>> auto_name(12)
    'n12'
    """
    return f"n{i}"


def node_names(order: Sequence) -> list[str]:
    """A name for every node of the walk `order` (Values, inputs first), no two alike.

    >>> from engine import Value
    >>> from engine.value import topological_order
    >>> x, w = Value(2.0, label='x'), Value(-3.0, label='w')
    >>> node_names(topological_order((x * w).tanh()))
    ['x', 'w', 'n2', 'n3']
    """
    labels = [v.label for v in order]
    taken = Counter(label for label in labels if label)
    taken.update(auto_name(i) for i, label in enumerate(labels) if not label)
    scoped = [f"{v.scope}.{label}" if label and v.scope else label for v, label in zip(order, labels)]
    taken_scoped = Counter(name for name, label in zip(scoped, labels) if label and taken[label] > 1)
    names = []
    for i, (label, qualified) in enumerate(zip(labels, scoped)):
        if not label:
            names.append(auto_name(i))
        elif taken[label] == 1:
            names.append(label)
        elif qualified != label and taken_scoped[qualified] == 1 and qualified not in taken:
            names.append(qualified)
        else:
            names.append(f"{label}@{auto_name(i)}")
    return names
