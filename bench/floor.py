"""The pure-Python floor: micrograd's demo step written with plain floats and a hand-derived backward.

No graph, no objects per operation: just the arithmetic that any scalar engine must do. An
engine step can only approach this; the ratio engine / floor says how much the graph costs.
"""

from __future__ import annotations


def init_like_micrograd(rng_uniform, sizes):
    """Weights drawn in micrograd's order: per neuron, nin draws of uniform(-1, 1); bias 0."""
    layers = []
    for nin, nout in zip(sizes, sizes[1:]):
        layers.append(([[rng_uniform(-1, 1) for _ in range(nin)] for _ in range(nout)], [0.0] * nout))
    return layers


def step(layers, X, y, lr, alpha=1e-4):
    """One full-batch step of hinge loss + alpha * L2; updates `layers` in place, returns (loss, accuracy)."""
    n = len(X)
    grads = [([[0.0] * len(row) for row in W], [0.0] * len(b)) for W, b in layers]
    last = len(layers) - 1
    total = 0.0
    correct = 0
    for x, yi in zip(X, y):
        # forward, keeping each layer's input and pre-activation for the backward pass
        acts = [x]
        pres = []
        h = x
        for li, (W, b) in enumerate(layers):
            pre = [bj + sum([wj * hj for wj, hj in zip(row, h)]) for row, bj in zip(W, b)]
            pres.append(pre)
            h = pre if li == last else [p if p > 0 else 0.0 for p in pre]
            acts.append(h)
        score = h[0]
        correct += (yi > 0) == (score > 0)
        margin = 1.0 - yi * score
        if margin <= 0:
            continue
        total += margin
        # backward: d loss / d score = -y / n where the hinge is active
        delta = [-yi / n]
        for li in range(last, -1, -1):
            W, _ = layers[li]
            gW, gb = grads[li]
            inp = acts[li]
            for j, dj in enumerate(delta):
                if dj == 0.0:
                    continue
                gb[j] += dj
                row = gW[j]
                for i, xi in enumerate(inp):
                    row[i] += dj * xi
            if li == 0:
                break
            below = pres[li - 1]
            delta = [
                sum([W[j][i] * delta[j] for j in range(len(delta))]) if below[i] > 0 else 0.0 for i in range(len(inp))
            ]
    loss = total / n
    for (W, b), (gW, gb) in zip(layers, grads):
        for row, grow in zip(W, gW):
            for i, w in enumerate(row):
                loss += alpha * w * w
                row[i] = w - lr * (grow[i] + 2 * alpha * w)
        for j, bj in enumerate(b):
            loss += alpha * bj * bj
            b[j] = bj - lr * (gb[j] + 2 * alpha * bj)
    return loss, correct / n
