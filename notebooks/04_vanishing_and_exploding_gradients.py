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
# micrograd draws every weight from $U(-1, 1)$ whatever the layer's width. A neuron with 24 inputs
# then sums 24 terms of variance $1/3$: its output is about $\sqrt{24/3} \approx 2.8$ times bigger than
# its inputs, and that factor compounds layer after layer, forward and backward. Xavier
# (variance $2/(\text{fan-in}+\text{fan-out})$) is designed for tanh and sigmoid; He (variance
# $2/\text{fan-in}$) for ReLU. The same deep ReLU network, 8 layers of 24, three ways:

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), sharey=True)
for ax, init in zip(axes, ("uniform", "xavier", "he")):
    model = nn.MLP(2, [24] * 8 + [1], activation="relu", init=init, seed=0)
    one_backward(model)
    stats = nn.grad_stats(model)
    print(f"{init:<8} first layer mean |grad| {stats[0].mean_abs_grad:9.2e}  ({stats[0].status})")
    nn.plot_grad_flow(model, ax=ax)
    ax.set_title(f"init = {init!r}")
    ax.tick_params(axis="x", labelrotation=60)
plt.tight_layout()
plt.show()

# %% [markdown]
# With the uniform init every layer's gradients are in the hundreds or thousands (*exploding*);
# Xavier shrinks them (a little too much for ReLU); He keeps every layer within a small factor of the others.
#
# ## 4. Watching gradient flow during training
#
# `nn.fit` records each layer's gradient statistics at every step, and each layer's
# **update-to-data ratio**: $\log_{10}(|\Delta w| / |w|)$, how far one step moves the weights relative to
# their size. Around $-3$ is healthy; much lower and the layer barely learns. A sigmoid network of six hidden
# layers and an output layer (seven layers) with Xavier init, trained for 25 steps:

# %%
model = nn.MLP(2, [8] * 6 + [1], activation="sigmoid", init="xavier", seed=0)
optimizer = nn.SGD(model.parameters(), lr=0.5)
history = nn.fit(model, X, y, loss="mse", optimizer=optimizer, steps=25, progress=False, compile=True)
print(history)
fig, (left, right) = plt.subplots(1, 2, figsize=(14, 4))
nn.plot_grad_flow(history, ax=left)
nn.plot_grad_flow(history, ax=right, what="update_ratio")
plt.tight_layout()
plt.show()

# %% [markdown]
# The loss stalls at 0.25 — exactly the error of answering 0.5 for every point. The plots say why:
# after a few large steps the sigmoids saturate, every layer's gradient collapses to about $10^{-6}$,
# and the update-to-data ratios drop to $-5$ or $-6$, far below the healthy $-3$. The network has
# stopped learning — something the loss curve alone does not explain. The same history as diagrams,
# at the first, middle and last step. (Later steps say "ok": *vanishing* is judged relative to the
# best-fed layer, and here every layer starves alike; the absolute sizes tell the story.)

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
    return nn.fit(model, X, y, loss="mse", optimizer=optimizer, steps=40, progress=False, clip=clip, compile=True)


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
        # site is "file:line in function: code"; a notebook cell's file is a temporary one the kernel
        # names afresh every run, so show the line within this cell and its code
        place, _, code = site.partition(" in <module>: ")
        print(f"the node was created at line {place.rsplit(':', 1)[1]} of this cell:", code)

# %% [markdown]
# **Takeaways.** Deep networks multiply many local derivatives: sigmoid layers shrink the gradient
# (vanishing), large weights grow it (exploding). Measure each layer (`grad_stats`, `draw_grad_flow`,
# `plot_grad_flow`), fix the cause with ReLU and a fitting initialisation (He for ReLU, Xavier for
# tanh/sigmoid), cap the damage with gradient clipping, and find the first `nan` with `detect_anomaly`.
# From the shell: `chainrule gradflow --activation sigmoid -o flow.svg`, then `--activation relu --init he`.
