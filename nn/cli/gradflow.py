"""`chainrule gradflow`: how much gradient reaches each layer of a deep MLP, in one backward.

    chainrule gradflow --depth 12 --width 8 --activation sigmoid -o flow.svg

Backward multiplies local derivatives layer by layer on the way to the input. Sigmoid's slope is
at most 1/4, so with modest weights every sigmoid layer shrinks the gradient, and after twelve of
them the first layer gets almost none: its weights barely learn (vanishing). Weights drawn too
large multiply it up instead (exploding). This command builds the net, runs one backward on a batch of moons, and
prints each layer's mean and largest |grad| with a status from `nn.grad_stats`, then a one-line
verdict with the usual fix (`--activation relu --init he`). With `-o` it also draws the layers as
a chain of boxes coloured by their gradient (`nn.draw_grad_flow`).
"""

from __future__ import annotations

import argparse

from nn.cli.files import PICTURES, SOURCES, graphviz_timeout, output_path, require_graphviz, write_drawing
from nn.cli.options import MOST_GRADFLOW_COST, MOST_PARAMETERS, NEURON_COST, SAMPLE_COST
from nn.cli.status import OK, REFUSED, Stop

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """One backward through `MLP(2, [width] * depth + [1])`; print (and with -o draw) each layer's gradient."""
    import nn
    from engine import Value

    _check_cost(args.depth, args.width, args.samples)
    out = output_path(args.output, PICTURES + SOURCES, "-o") if args.output else None
    timeout = graphviz_timeout(args.graphviz_timeout)
    if out is not None:
        require_graphviz(out)  # before the work and the table, not after them
    X, y = nn.make_moons(args.samples, seed=args.seed)
    model = nn.MLP(2, [args.width] * args.depth + [1], activation=args.activation, init=args.init, seed=args.seed)
    # mean squared error towards the labels 0/1: unlike hinge, its per-sample gradients do not
    # cancel out when a deep net gives every point the same score
    scores: list[Value | float] = []
    for x in X:
        score = model(x)
        assert isinstance(score, Value)  # one output neuron: one Value, not a list
        scores.append(score)
    loss = nn.losses.mse(scores, [float(t) for t in y])
    loss.backward()
    stats = nn.grad_stats(model)
    print(
        f"one backward of the mean squared error on {args.samples} moons through "
        f"MLP(2, [{args.width}] * {args.depth} + [1]), {args.activation}, {args.init} init"
    )
    print(f"{'layer':<10} {'mean |grad|':>12} {'max |grad|':>12}  status")
    for s in stats:
        print(f"{s.name:<10} {s.mean_abs_grad:>12.3e} {s.max_abs_grad:>12.3e}  {s.status}")
    print(_verdict(stats))
    if out is not None:
        write_drawing(nn.draw_grad_flow(stats, rankdir=args.rankdir), out, timeout)
        print(f"wrote {out}")
    return OK


def _check_cost(depth: int, width: int, samples: int) -> None:
    """Refuse (status 2, before any work) a net or a batch that would take minutes or fill the memory."""
    layers = [2, *[width] * depth, 1]
    weights = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(layers, layers[1:]))
    given = f"--depth {depth} --width {width}"
    if weights > MOST_PARAMETERS:
        raise Stop(
            f"{given} makes {weights:,} weights, more than the {MOST_PARAMETERS:,} a scalar engine builds "
            "in reasonable time: use a smaller --width or --depth",
            REFUSED,
        )
    per_sample = weights + NEURON_COST * (width * depth + 1) + SAMPLE_COST
    if per_sample * samples > MOST_GRADFLOW_COST:
        raise Stop(
            f"{given} --samples {samples} would cost {per_sample * samples:,} units of work (per sample: "
            f"each weight 1, each neuron {NEURON_COST}, the sample {SAMPLE_COST}), more than the "
            f"{MOST_GRADFLOW_COST:,} that finish in seconds: use at most {MOST_GRADFLOW_COST // per_sample:,} "
            "samples or a smaller net",
            REFUSED,
        )


def _verdict(stats: list) -> str:
    """One line naming the trouble (exploding is the more urgent) and what to try, or 'healthy'."""
    vanishing = [s.name for s in stats if s.status == "vanishing"]
    exploding = [s.name for s in stats if s.status == "exploding"]
    if exploding:
        return (
            f"exploding: {_span(exploding)} get huge gradients, so one step throws their weights far away; "
            "try --init he (xavier for tanh/sigmoid), a smaller learning rate or gradient clipping"
        )
    if vanishing:
        return (
            f"vanishing: {_span(vanishing)} get under 1/1000 of the largest layer's gradient, so they barely "
            "learn; try --activation relu --init he"
        )
    return "healthy: every layer gets a useful share of the gradient"


def _span(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{len(names)} layers ({names[0]} to {names[-1]})"
