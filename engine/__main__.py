"""`python -m engine`: the lecture's neuron, forward and backward, printed step by step."""

from __future__ import annotations

from engine import Value


def main() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    print("o = tanh(x1*w1 + x2*w2 + b)")
    for v in (o, n, b, w1, w2, x1, x2):
        print(f"  {v.label:>2}: data {v.data: .4f}   d o/d {v.label:<2} = {v.grad: .4f}")


if __name__ == "__main__":
    main()
