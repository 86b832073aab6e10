# %% [markdown]
# # Lesson 4 — Vanishing and exploding gradients
#
# Backpropagation multiplies local derivatives, layer after layer. In a deep network that product
# has many factors, and a product of many factors is fragile:
#
# - if each layer **shrinks** the gradient, the layers near the input get almost nothing and stop
#   learning — **vanishing** gradients. The sigmoid's slope is at most $1/4$, so twelve sigmoid layers
#   can scale a gradient by $(1/4)^{12} \approx 6 \times 10^{-8}$;
# - if each layer **grows** it, the gradients near the input blow up and one step throws the weights
#   far away — **exploding** gradients.
#
# This lesson measures both, works out where they come from (the variance of a sum, layer after
# layer), shows the cures (ReLU, an initialisation of the right scale, residual connections, gradient
# clipping), why the initial weights must differ at all (symmetry), and finds where a `nan` came from
# with `detect_anomaly`.

# %%
import math
import random

import matplotlib.pyplot as plt

import nn

X, y = nn.make_moons(32, noise=0.1, seed=0)
targets = [float(t) for t in y]


def one_backward(model):
    """Mean squared error of the model on the moons, and its backward pass."""
    loss = nn.losses.mse([model(x) for x in X], targets)
    model.zero_grad()
    loss.backward()
    return loss


def mean(xs):
    return sum(xs) / len(xs)


def variance(xs):
    m = mean(xs)
    return sum((x - m) ** 2 for x in xs) / len(xs)


def layer_outputs(model, xs):
    """Each hidden layer's outputs (floats) for all the inputs xs, in one list per layer."""
    outputs = []
    for layer in model.layers[:-1]:
        xs = [[v.data for v in layer(x)] for x in xs]
        outputs.append([v for row in xs for v in row])
    return outputs


def signal_sizes(model, xs):
    """Root mean square of each hidden layer's outputs over the inputs xs: the forward signal's size."""
    return [math.sqrt(mean([v * v for v in out])) for out in layer_outputs(model, xs)]


def table(model):
    for s in nn.grad_stats(model):
        print(f"{s.name:<10} mean |grad| {s.mean_abs_grad:9.2e}   max |grad| {s.max_abs_grad:9.2e}   {s.status}")


# %% [markdown]
# ## 1. A deep sigmoid network: vanishing
#
# Twelve hidden layers of 8 sigmoid neurons and one output. `nn.grad_stats` measures each layer's
# gradients after one backward pass and flags a layer as *vanishing* when it gets less than a
# thousandth of what the best-fed layer gets.

# %%
deep_sigmoid = nn.MLP(2, [8] * 12 + [1], activation="sigmoid", seed=0)
one_backward(deep_sigmoid)
table(deep_sigmoid)

# %% [markdown]
# The gradient shrinks by a factor of 2 to 8 per layer (about 3.5 on average) on its way back: the
# first layer gets millions of times less than the last. `nn.draw_grad_flow` shows it at a glance — one box per layer,
# the arrows (pointing the way gradients flow, from the loss back to the input) thinner where less
# flows:

# %%
nn.draw_grad_flow(deep_sigmoid)

# %% [markdown]
# ## 2. The cure: ReLU and He initialisation
#
# ReLU's slope is exactly 1 wherever the neuron is active, so it does not shrink the gradient by
# itself. What is left is the size of the weights: He initialisation draws them with variance
# $2/\text{fan-in}$, which keeps the signal — forward and backward — from shrinking layer after layer:
# the gradient now wanders up and down by a small factor from one layer to the next, and the first
# layer gets about a hundredth of the last one's (1.67e-03 against 1.45e-01) instead of
# $3 \times 10^{-7}$ of it. No layer is starved.

# %%
deep_relu = nn.MLP(2, [8] * 12 + [1], activation="relu", init="he", seed=0)
one_backward(deep_relu)
table(deep_relu)
nn.draw_grad_flow(deep_relu)

# %% [markdown]
# ## 3. Initialisation: the variance of a sum
#
# At the start a neuron's pre-activation is a sum $z = \sum_{i=1}^{n} w_i x_i$ (the bias starts at 0).
# Draw the weights independently of the inputs, with mean 0: then each term has mean 0, the terms are
# uncorrelated, and the variances of uncorrelated terms add. One term has
# $\mathrm{Var}(w x) = E[w^2 x^2] - E[w x]^2 = \mathrm{Var}(w) \cdot E[x^2]$, so
#
# $$\mathrm{Var}\Big(\sum_{i=1}^{n} w_i x_i\Big) = n \cdot \mathrm{Var}(w) \cdot E[x^2],$$
#
# which is $n \cdot \mathrm{Var}(w) \cdot \mathrm{Var}(x)$ when the inputs have mean 0 too. Check it on
# one layer: 200 linear neurons with micrograd's weights, $U(-1, 1)$, each reading the same 24 inputs,
# fed 64 input vectors drawn from $U(-1, 1)$ as well (both variances $1/3$):

# %%
rng = random.Random(1)
inputs = [[rng.uniform(-1, 1) for _ in range(24)] for _ in range(64)]
layer = nn.Layer(24, 200, activation="linear", seed=0)
z = [v.data for x in inputs for v in layer(x)]
var_w = variance([w.data for neuron in layer.neurons for w in neuron.w])
var_x = variance([v for x in inputs for v in x])
print(f"Var(w) = {var_w:.4f}, Var(x) = {var_x:.4f}")
print(f"predicted Var(z) = 24 × {var_w:.4f} × {var_x:.4f} = {24 * var_w * var_x:.3f}, measured {variance(z):.3f}")
kept = sum(max(v, 0.0) ** 2 for v in z) / len(z)
print(f"after a ReLU: E[relu(z)²] = {kept:.3f}, {kept / variance(z):.2f} of Var(z)")

# %% [markdown]
# The sum's variance is $n \cdot \mathrm{Var}(w)$ times the input's: the formula predicts 2.668, the
# layer measures 2.643, 1% apart (the weights and inputs are a finite sample). A ReLU keeps the
# positive half of a symmetric $z$, and with it half of $E[z^2]$ (measured: 0.49 of it). So a layer
# multiplies $E[x^2]$ by $n \cdot \mathrm{Var}(w)$, times $1/2$ after a ReLU, and keeping the signal's
# size through many layers means choosing $\mathrm{Var}(w)$ to make that product 1:
#
# - micrograd's $U(-1, 1)$ has $\mathrm{Var}(w) = 1/3$ whatever the width: with 24 inputs the sum is 8
#   times bigger, 4 times after the ReLU, so the size (root mean square) of the signal grows by about
#   $\sqrt{4} = 2$ per layer.
# - **Xavier** (Glorot and Bengio, 2010) takes $\mathrm{Var}(w) = 2/(\text{fan-in}+\text{fan-out})$: the
#   forward pass keeps its variance when $\text{fan-in} \cdot \mathrm{Var}(w) = 1$, the backward pass
#   (the same sums, run from the outputs to the inputs) when $\text{fan-out} \cdot \mathrm{Var}(w) = 1$,
#   and this is the compromise. The derivation assumes the activation acts like the identity around
#   the zero-centred inputs it gets — slope 1 at 0, as tanh has near 0 (not the sigmoid: slope $1/4$,
#   centred on 0.5) — so nothing is lost through it.
# - **He** (He et al., 2015) takes $\mathrm{Var}(w) = 2/\text{fan-in}$: twice what keeps a linear layer's
#   variance, to make up for ReLU's halving — a gain of $\sqrt{2}$ on the weights' size.
#
# Here is every layer's output, mean and standard deviation over its 24 units and the 32 moons
# points, in a ReLU network of 8 hidden layers of 24, initialised three ways, and once more with
# tanh and Xavier:

# %%
kinds = [("relu", "uniform"), ("relu", "xavier"), ("relu", "he"), ("tanh", "xavier")]
nets = {f"{act} {init}": nn.MLP(2, [24] * 8 + [1], activation=act, init=init, seed=0) for act, init in kinds}
columns = {name: layer_outputs(model, X) for name, model in nets.items()}
print("layer  " + "".join(f"{name:>18}" for name in columns))
print("       " + f"{'mean':>10}{'std':>8}" * len(columns))
for k in range(8):
    cells = "".join(f"{mean(out[k]):10.3g}{variance(out[k]) ** 0.5:8.3g}" for out in columns.values())
    print(f"{k:<7}{cells}")

# %% [markdown]
# With micrograd's init the standard deviation grows from 0.418 at layer 0 to 29.2 at layer 7; with
# Xavier it shrinks from 0.201 to 0.0097 (ReLU's halving, uncorrected); with He it stays between 0.368
# and 0.769. ReLU's outputs are never negative, so their mean is positive, the same order as the
# std — which is why the formula carries $E[x^2]$, not $\mathrm{Var}(x)$. With tanh, Xavier keeps the
# std between 0.202 and 0.273 and the mean at most 0.0505 away from 0: the activation it was derived
# for. The gradients follow the forward signal, the same deep ReLU network three ways:

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 4.2), sharey=True)
for ax, init in zip(axes, ("uniform", "xavier", "he")):
    model = nn.MLP(2, [24] * 8 + [1], activation="relu", init=init, seed=0)
    one_backward(model)
    stats = nn.grad_stats(model)
    sizes = signal_sizes(model, X)
    growth = (sizes[-1] / sizes[0]) ** (1 / (len(sizes) - 1))
    print(f"{init:<8} first layer mean |grad| {stats[0].mean_abs_grad:9.2e}   forward: signal ×{growth:.2f} per layer")
    nn.plot_grad_flow(model, ax=ax)
    ax.get_legend().remove()  # one legend for the three panels, above them, where it covers no bar
    ax.set_title(f"init = {init!r}")
    ax.tick_params(axis="x", labelrotation=60)
fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", ncol=2)
plt.tight_layout(rect=(0, 0, 1, 0.9))
plt.show()

# %% [markdown]
# With the uniform init the signal grows ×1.8 per layer going forward and every layer's gradients are
# in the hundreds or thousands (*exploding*); Xavier shrinks the signal (×0.65 per layer: ReLU's halving,
# uncorrected) and the gradients with it; He keeps the signal within a small factor (×0.92) and every
# layer's gradients close to the others'.

# %% [markdown]
# ## 4. Why not start from zero? Symmetry
#
# If the scale of the weights is what matters, why draw them at random at all — why not all zero, or
# all equal? Because then every neuron of a layer computes the same output from the same inputs, gets
# the same gradient (its outgoing weights are equal too), and takes the same step: after any number of
# steps they are still copies of each other, and the layer of 4 works as one neuron. A 2-4-1 tanh network, trained 30 steps with SGD, started
# from micrograd's random weights, from every parameter 0.5, and from every parameter 0:

# %%
def train_from(fill):
    """A 2-4-1 tanh net trained 30 steps; every parameter starts at `fill` (None: random weights)."""
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    if fill is not None:
        for p in model.parameters():
            p.data = fill
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    history = nn.fit(model, X, y, loss="mse", optimizer=optimizer, steps=30, progress=False)
    return model, history


for fill in (None, 0.5, 0.0):
    model, history = train_from(fill)
    rows = [[w.data for w in neuron.w] + [neuron.b.data] for neuron in model.layers[0].neurons]
    apart = max(abs(a - b) for r in rows for s in rows for a, b in zip(r, s))
    print("random start" if fill is None else f"every parameter {fill}", history)
    for j, (w0, w1, b) in enumerate(rows[:2]):
        print(f"    neuron {j}: w = ({w0:+.6f}, {w1:+.6f}), b = {b:+.6f}")
    print(f"    largest difference between the 4 hidden neurons: {apart:.3g}")

# %% [markdown]
# From the random start the four neurons differ (by up to 1.03 in a weight or bias) and the network
# reaches 84.4%. From all 0.5 the neurons of layer 0 still hold exactly the same numbers after 30
# steps — $w = (0.539627, 0.377243)$, $b = 0.432617$ for every one, largest difference 0 — and the
# accuracy is 50%: a 2-1-1 network in disguise. The verdict says `gradients ok`, and it is right about
# the gradients' size: there is nothing wrong with each one, only that it is the same one four times.
# From all 0 it is worse: the hidden neurons output $\tanh(0) = 0$, so the output weights get zero
# gradient, and the hidden weights' gradient is multiplied by those zero output weights: `layers.0`
# gets exactly nothing (*vanishing*) and only the output's bias learns. Random initialisation is
# what breaks the symmetry; its scale is what the previous section chose.
#
# ## 5. Residual connections: a path the gradient can take
#
# A sigmoid layer's slope is at most $1/4$, so §1's twelve of them shrink the gradient a few times
# per layer. A **residual block** computes $h + f(h)$ instead of $f(h)$: by the chain rule its local
# derivative is $1 + f'(h)$, and the $1$ — the `+` node passing its gradient on unchanged, as in
# lesson 2 — carries the gradient past every block, whatever $f$ does to it. It takes a few lines
# with Values: §1's very network, the same weights, with each hidden layer after the first added to
# its input:

# %%
class Residual(nn.Module):
    """An MLP's own layers, each hidden layer after the first made a block h + f(h)."""

    def __init__(self, mlp):
        self.layers = mlp.layers

    def features(self, x):
        """What the output layer reads: h after the last block."""
        h = self.layers[0](x)
        for layer in self.layers[1:-1]:
            h = [a + b for a, b in zip(h, layer(h))]  # d(h + f(h))/dh = 1 + f'(h)
        return h

    def __call__(self, x):
        return self.layers[-1](self.features(x))


residual = Residual(deep_sigmoid)
plain_loss = one_backward(deep_sigmoid).data
plain = nn.grad_stats(deep_sigmoid)
residual_loss = one_backward(residual).data
skip = nn.grad_stats(deep_sigmoid)  # the same parameters: their .grad now holds the residual net's gradients
print(f"loss: plain {plain_loss:.4g}, residual {residual_loss:.4g}")
print(f"{'':<10} {'plain':>22} {'residual':>22}")
for p, r in zip(plain, skip):
    print(f"{p.name:<10} mean |grad| {p.mean_abs_grad:9.2e} {p.status:<10} {r.mean_abs_grad:9.2e} {r.status}")
first = mean([v.data for x in X for v in deep_sigmoid.layers[0](x)])
last = mean([v.data for x in X for v in residual.features(x)])
print(f"mean unit value: after layer 0 {first:.3f}, after the last block {last:.3f}")

# %% [markdown]
# With the same weights, the skips turn every *vanishing* into *ok*: the first layer gets 1.81
# instead of $4.71 \times 10^{-7}$, and the hidden layers' mean |grad| stays between 0.84 and 3.71
# instead of shrinking a few times per layer. The price shows at the output. A sigmoid's output is
# always between 0 and 1, so each of the 11 blocks adds about half a unit to every unit: the units
# average 5.674 after the last block against 0.521 after layer 0, the loss starts at 176.8 instead of
# 2.402, and the output layer's mean |grad| is 137 (*exploding*). Residual networks in practice end
# each block in something centred on 0 (a linear layer, often a normalisation) so that the sum does not
# drift; the `+` path is what keeps the gradient alive through the depth.


# %% [markdown]
# ## 6. Try it: depth, activation, initialisation
#
# Each choice so far moves the gradient that reaches the first layers. The picture below puts five
# of them side by side, each a network of 12 hidden layers of 8 after one backward pass on the moons:

# %%
def backward_once(depth, activation, init, residual):
    """A fresh MLP of `depth` hidden layers of 8 after one backward pass (through h + f(h) blocks if residual)."""
    model = nn.MLP(2, [8] * depth + [1], activation=activation, init=init, seed=0)
    one_backward(Residual(model) if residual else model)
    return model


choices = [("sigmoid", "uniform", False), ("sigmoid", "uniform", True), ("tanh", "xavier", False),
           ("relu", "uniform", False), ("relu", "he", False)]  # fmt: skip
fig, ax = plt.subplots(figsize=(9.5, 4))
for (activation, init, residual), marker in zip(choices, "osD^v"):
    grads = [s.mean_abs_grad for s in nn.grad_stats(backward_once(12, activation, init, residual))]
    label = f"{activation}, {init}" + (", residual" if residual else "")
    ax.plot(range(len(grads)), grads, marker=marker, label=label)
    print(f"{label:<27} first layer {grads[0]:9.2e}   last layer {grads[-1]:9.2e}")
ax.set_yscale("log")
ax.set_xlabel("layer (0: next to the input, 12: the output layer)")
ax.set_ylabel("mean |grad| (log scale)")
ax.set_title("how much gradient reaches each layer")
ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the plot: it covers no line
plt.tight_layout()
plt.show()

# %% [markdown]
# Sigmoid layers with micrograd's init pass $4.71 \times 10^{-7}$ to the first layer against 1.67 to the
# output layer; the same weights with residual blocks pass 1.81; tanh with Xavier $3.78 \times 10^{-2}$
# against 0.243; ReLU $8.77 \times 10^{-3}$ (uniform; at width 8 its gain is only
# $\sqrt{8 \cdot \tfrac{1}{3} \cdot \tfrac{1}{2}} \approx 1.15$) and $1.67 \times 10^{-3}$ (He). In a
# running notebook, choose for yourself with the controls below (the picture above is the static
# version); the drawing is `draw_grad_flow`'s, one box per layer from the input at the top to the loss
# at the bottom:

# %%
from ipywidgets import Checkbox, Dropdown, IntSlider, interact


def show_flow(depth, activation, init, residual):
    return nn.draw_grad_flow(backward_once(depth, activation, init, residual))


_ = interact(
    show_flow,
    depth=IntSlider(value=12, min=2, max=16),
    activation=Dropdown(options=["sigmoid", "tanh", "relu"]),
    init=Dropdown(options=["uniform", "xavier", "he"]),
    residual=Checkbox(value=False),
)


# %% [markdown]
# ## 7. Watching gradient flow during training
#
# `nn.fit` records each layer's gradient statistics at every step, and each layer's
# **update-to-data ratio**: $\log_{10}(|\Delta w| / |w|)$, how far one step moves the weights relative to
# their size. Around $-3$ is healthy; much lower and the layer barely learns. A sigmoid network of six hidden
# layers and an output layer (seven layers) with Xavier init, SGD with learning rate 0.5,
# trained for 25 steps:

# %%
model = nn.MLP(2, [8] * 6 + [1], activation="sigmoid", init="xavier", seed=0)
optimizer = nn.SGD(model.parameters(), lr=0.5)
history = nn.fit(model, X, y, loss="mse", optimizer=optimizer, steps=25, progress=False)
print(history)
print("loss at steps 0 to 5:", "  ".join(f"{loss:.4g}" for loss in history.loss[:6]))
early = [r for step in history.update_ratio[:4] for r in step[-2:]]  # the last two layers, steps 0-3
late = [r for step in history.update_ratio[8:] for r in step]
grads = [s.mean_abs_grad for step in history.grad_stats[8:] for s in step]
print(f"update ratios of the last two layers, steps 0-3: {min(early):.2f} to {max(early):.2f}")
print(f"from step 8 on, every layer: update ratios {min(late):.2f} to {max(late):.2f}, "
      f"mean |grad| {min(grads):.1e} to {max(grads):.1e}")  # fmt: skip
for layer in history.activation_stats:
    print(layer)
fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7.5))  # one above the other: each 900 px wide
nn.plot_grad_flow(history, ax=top)
nn.plot_grad_flow(history, ax=bottom, what="update_ratio")
plt.tight_layout()
plt.show()

# %% [markdown]
# The loss stalls at 0.25 — exactly the error of answering 0.5 for every point. The verdict and the
# plots say why. In steps 0–3 the update ratios of the last two layers are between $-0.93$ and
# $+0.36$: each step moves them by a tenth of their size or more, a learning rate far too large
# (healthy is near $-3$), and the loss climbs from 0.4854 to 14.12 before it falls back. After those
# steps only the last hidden layer sits on the sigmoid's flat part (mean |pre-activation| 3.228;
# layers 0–4 stay between 0.298 and 0.714), but what collapsed is the **spread across samples**: how
# much a layer's outputs differ from one input to the next falls from 0.0748 at layer 0 to
# $6.5 \times 10^{-6}$ at layer 5, so the output layer sees the same numbers for every point. From
# step 8 on every layer's mean |grad| stays between $4.8 \times 10^{-7}$ and $3.7 \times 10^{-6}$ and
# the update ratios between $-6.33$ and $-5.23$: nothing moves any more. `grad_stats` alone would still say "ok" —
# *vanishing* is judged relative to the best-fed layer, and here every layer starves alike — which is
# why the verdict also reads the forward signal (`history.activation_stats`) and the update ratios.
# The same history as diagrams, at the first, middle and last step:

# %%
nn.draw_grad_flow(history)


# %% [markdown]
# ## 8. Clipping rescues an exploding run
#
# A ReLU network with micrograd's uniform init, 5 layers of 16, mean squared error, SGD with learning
# rate 0.05. Its first gradients are huge; the first step overshoots, the next gradient is even bigger,
# and within a few steps the loss is `inf` or `nan`. `fit` stops and says so:

# %%
def exploding_run(clip):
    model = nn.MLP(2, [16] * 5 + [1], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=0.05)
    return nn.fit(model, X, y, loss="mse", optimizer=optimizer, steps=40, progress=False, clip=clip)


try:
    exploding_run(clip=None)
except FloatingPointError as error:
    print("without clipping:", error)

# %% [markdown]
# `clip=5.0` rescales the whole gradient, whenever its total length exceeds 5, down to length 5 before
# each step (`nn.clip_grad_norm`, like PyTorch's `clip_grad_norm_`). The direction is kept, only the
# step length is capped — and the same run trains:

# %%
history = exploding_run(clip=5.0)
print("with clip=5.0:   ", history)
fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(history.loss)
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("mse (log scale)")
ax.set_title("the exploding run, clipped")
plt.show()

# %% [markdown]
# ## 9. Where did the `nan` come from? `detect_anomaly`
#
# A `nan` anywhere poisons everything downstream, and by the time the loss shows it the cause is long
# gone. Inside `detect_anomaly()`, every new Value is checked as it is made, and every gradient as
# backward computes it: the first non-finite one raises an error naming the operation and its inputs,
# right at the line that made it.

# %%
import traceback

from engine import Value, detect_anomaly


def model_with_a_bug(x):
    h = (x * 3 - 1).tanh()
    spread = (h - 1).log()  # tanh is below 1, so h - 1 < 0: log of a negative number
    return spread * 2


print("without anomaly mode:", model_with_a_bug(Value(0.5)))
try:
    with detect_anomaly():
        model_with_a_bug(Value(0.5))
except FloatingPointError as error:
    print("with detect_anomaly():", error)
    line = next(f.line for f in traceback.extract_tb(error.__traceback__) if f.name == "model_with_a_bug")
    print("raised at the line:   ", line)

# %% [markdown]
# Backward is checked too. $\sqrt{x}$ at $x = 0$ is a fine number, but its slope $1/(2\sqrt{x})$ is
# infinite, so the `inf` appears only in the gradients. Anomaly mode names the node and the line of
# code that created it:

# %%
x = Value(0.0, label="x")
y = x.sqrt() + x
y.backward()
print("without anomaly mode: x.grad =", x.grad)

with detect_anomaly():
    x = Value(0.0, label="x")
    y = x.sqrt() + x
    try:
        y.backward()
    except FloatingPointError as error:
        report, _, site = str(error).partition("; the node was created at ")
        print("with detect_anomaly():", report)
        print("created by the code:  ", site.rpartition(": ")[2])  # the cell's file name changes every run

# %% [markdown]
# **Takeaways.** Deep networks multiply many local derivatives: sigmoid layers shrink the gradient
# (vanishing), large weights grow it (exploding). A layer multiplies $E[x^2]$ by
# $n \cdot \mathrm{Var}(w)$ (half that after a ReLU), so pick $\mathrm{Var}(w)$ to make the product 1:
# He for ReLU, Xavier where the activation has slope 1 around 0. Draw the weights at random, or the
# neurons of a layer stay copies of one another; give the gradient a `+` path around deep stacks
# (residual blocks). Measure each layer (`grad_stats`, `draw_grad_flow`, `plot_grad_flow`, and the
# verdict `print(history)` gives), cap the damage with gradient clipping, and find the first `nan`
# with `detect_anomaly`.
# From the shell: `chainrule gradflow --activation sigmoid -o flow.svg`, then `--activation relu --init he`.
#
# **Exercises:**
# [exercises/04_initialisation_and_clipping.ipynb](exercises/04_initialisation_and_clipping.ipynb):
# predict each layer's gain from Var(w) before measuring it, and write `clip_grad_norm` by hand.
