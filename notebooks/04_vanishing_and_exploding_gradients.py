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
# This lesson measures both, shows the cures (ReLU, a good initialisation, gradient clipping) and
# finds where a `nan` came from with `detect_anomaly`.

# %%
import math

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


def signal_sizes(model, xs):
    """Root mean square of each hidden layer's outputs over the inputs xs: the forward signal's size."""
    sizes = []
    for layer in model.layers[:-1]:
        xs = [[v.data for v in layer(x)] for x in xs]
        sizes.append(math.sqrt(sum(v * v for row in xs for v in row) / (len(xs) * len(xs[0]))))
    return sizes


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
# layer gets about a hundredth of the last one's instead of a few millionths. No layer is starved.

# %%
deep_relu = nn.MLP(2, [8] * 12 + [1], activation="relu", init="he", seed=0)
one_backward(deep_relu)
table(deep_relu)
nn.draw_grad_flow(deep_relu)

# %% [markdown]
# ## 3. Initialisation: uniform vs Xavier vs He
#
# micrograd draws every weight from $U(-1, 1)$ whatever the layer's width. For independent,
# zero-mean weights a sum of $n$ terms has $\mathrm{Var}(\sum_i w_i x_i) = n \cdot \mathrm{Var}(w) \cdot E[x^2]$:
# with 24 inputs and $\mathrm{Var}(w) = 1/3$ that is 8 times the input's $E[x^2]$, and the ReLU then
# zeroes about half of it, so each layer multiplies the size (root mean square) of the signal by about
# $\sqrt{8/2} = 2$. The printout below measures ×1.8 per layer for the uniform init. Xavier
# (variance $2/(\text{fan-in}+\text{fan-out})$) keeps the size when the activation has slope 1 around a
# zero-centred input (tanh near 0, a linear layer), which ReLU's halving breaks; He (variance
# $2/\text{fan-in}$) doubles the variance to make up for it. The same deep ReLU network, 8 layers of
# 24, three ways:

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
#
# ## 4. Watching gradient flow during training
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
for layer in history.activation_stats:
    print(layer)
fig, (left, right) = plt.subplots(1, 2, figsize=(14, 4))
nn.plot_grad_flow(history, ax=left)
nn.plot_grad_flow(history, ax=right, what="update_ratio")
plt.tight_layout()
plt.show()

# %% [markdown]
# The loss stalls at 0.25 — exactly the error of answering 0.5 for every point. The verdict and the
# plots say why. In steps 0–4 the update ratios of the last layers are between $-1$ and $+0.4$: each step
# moves them by a tenth of their size or more, a learning rate far too large (healthy is near $-3$).
# After those steps only the last hidden layer sits on the sigmoid's flat part (mean |pre-activation|
# 3.2; layers 0–4 stay at 0.3–0.7), but what collapsed is the **spread across samples**: how much a
# layer's outputs differ from one input to the next falls from 0.07 at layer 0 to $6 \times 10^{-6}$
# at layer 5, so the output layer sees the same numbers for every point. Every layer's gradient then
# drops to about $10^{-6}$ and the update ratios to $-5$. `grad_stats` alone would still say "ok" —
# *vanishing* is judged relative to the best-fed layer, and here every layer starves alike — which is
# why the verdict also reads the forward signal (`history.activation_stats`) and the update ratios.
# The same history as diagrams, at the first, middle and last step:

# %%
nn.draw_grad_flow(history)


# %% [markdown]
# ## 5. Clipping rescues an exploding run
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
# ## 6. Where did the `nan` come from? `detect_anomaly`
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
# (vanishing), large weights grow it (exploding). Measure each layer (`grad_stats`, `draw_grad_flow`,
# `plot_grad_flow`, and the verdict `print(history)` gives), fix the cause with ReLU and a fitting
# initialisation (He for ReLU, Xavier where the activation has slope 1 around 0), cap the damage
# with gradient clipping, and find the first `nan` with `detect_anomaly`.
# From the shell: `chainrule gradflow --activation sigmoid -o flow.svg`, then `--activation relu --init he`.
