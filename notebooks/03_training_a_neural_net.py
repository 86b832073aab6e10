# %% [markdown]
# # Lesson 3 — Training a neural net
#
# A neural network is arithmetic on Values, so `backward()` gives the derivative of the loss with
# respect to every weight. Training is then one rule, repeated:
#
# $$w \leftarrow w - \eta \, \frac{\partial L}{\partial w}$$
#
# move every weight a little (the **learning rate** $\eta$) against its gradient, so the loss goes
# down. This lesson builds a network from neurons, trains it by hand on four examples, then on the
# two-moons dataset, and looks at what the learning rate and the optimizer change.

# %% [markdown]
# ## 1. Neuron, Layer, MLP
#
# A `Neuron` computes $\text{activation}(w \cdot x + b)$; its weights and bias are leaf Values. A
# `Layer` is several neurons reading the same inputs; an `MLP` (multi-layer perceptron) chains layers.
# `MLP(3, [4, 4, 1])` takes 3 inputs, has two hidden layers of 4 neurons and one output.

# %%
import random

import matplotlib.pyplot as plt

import nn

random.seed(0)
model = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")
print(model)
print("a first weight:", model.layers[0].neurons[0].w[0])
print("its name:", model.named_parameters()[0][0])

# %% [markdown]
# (3 inputs × 4 weights + 4 biases) + (4 × 4 + 4) + (4 × 1 + 1) = 41 parameters.
#
# ## 2. Gradient descent by hand
#
# Four examples, four targets (the lecture's tiny dataset). The loss is the squared error summed
# over the examples. Each step: forward (build the graph), zero the old gradients, backward, update.

# %%
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
learning_rate = 0.1

for step in range(20):
    predictions = [model(x) for x in xs]
    loss = sum((p - y) ** 2 for p, y in zip(predictions, ys))
    model.zero_grad()  # gradients accumulate: clear last step's
    loss.backward()
    for p in model.parameters():
        p.data -= learning_rate * p.grad  # w <- w - lr * dL/dw
    if step % 4 == 0 or step == 19:
        print(f"step {step:2d}  loss {loss.data:.4f}")

print("predictions:", [round(model(x).data, 3) for x in xs], "targets:", ys)

# %% [markdown]
# The loss falls and the predictions move towards the targets. Everything else in training —
# optimizers, batches, schedules — is refinement of this loop.
#
# ### Forgetting `zero_grad`
#
# `backward()` *adds* to `.grad` (it must: a weight used twice collects both contributions). Leave out
# `model.zero_grad()` and after step $k$ a weight's `.grad` is no longer its slope now but the sum of
# its slopes at steps $0, 1, \dots, k$. Below, the same net trains twice from the same weights, once
# with `zero_grad` and once without, and prints the loss and the `.grad` of the output bias (the
# number the update subtracts). This time the output is linear (no tanh), so the best fit sits at
# finite weights where every slope is zero; the last lines of the output run §2's tanh output too.


# %%
def train_tiny(zero_grad, output="linear", steps=40, learning_rate=0.05):
    model = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation=output, seed=0)
    bias = model.parameters()[-1]
    losses, grads = [], []
    for step in range(steps):
        loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
        if zero_grad:
            model.zero_grad()
        loss.backward()  # adds this step's slope to whatever .grad already holds
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(loss.data)
        grads.append(bias.grad)
    return losses, grads


(loss_zeroed, grad_zeroed), (loss_summed, grad_summed) = train_tiny(True), train_tiny(False)
print("step   with zero_grad: loss      grad    without: loss      grad")
for step in (0, 1, 2, 3, 6, 9, 12, 13, 14, 20, 30, 39):
    print(
        f"{step:4d}  {loss_zeroed[step]:19.4f}  {grad_zeroed[step]:8.3f}"
        f"  {loss_summed[step]:14.4f}  {grad_summed[step]:8.3f}"
    )
for name, losses, grads in (("with zero_grad", loss_zeroed, grad_zeroed), ("without", loss_summed, grad_summed)):
    late, largest = losses[20:], max(abs(g) for g in grads[20:])
    print(f"steps 20-39 {name:<14}: loss {min(late):.4f} to {max(late):.4f}, |grad| up to {largest:.3f}")
print("tanh output, loss at steps 0, 5, ..., 35, 39:")
for name, zero_grad in (("with zero_grad", True), ("without", False)):
    losses = train_tiny(zero_grad, output="tanh")[0]
    print(f"  {name:<14}", " ".join(f"{v:.4f}" for v in losses[::5] + losses[-1:]))

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
for label, losses, grads, style in (
    ("with zero_grad", loss_zeroed, grad_zeroed, "-"),
    ("without zero_grad", loss_summed, grad_summed, "--"),
):
    left.plot(losses, style, label=label)
    right.plot(grads, style, label=label)
left.set_yscale("log")
left.set_xlabel("step")
left.set_ylabel("squared error (log scale)")
left.legend()
right.axhline(0, color="grey", linewidth=0.5)
right.set_xlabel("step")
right.set_ylabel("output bias .grad")
right.legend()
plt.show()

# %% [markdown]
# For a few steps the forgetful run is even ahead (loss 0.2289 against 1.0158 at step 3, 0.0253
# against 0.0513 at step 6): while the slopes point the same way, their sum is a bigger step, like
# momentum. But a sum never forgets. Near the minimum today's slope is small, yet `.grad` still holds
# every past push, so the weights run through the minimum and on; the slopes change sign and the sum
# swings back. That is momentum with no friction: from step 12 on the run oscillates, its bias `.grad`
# swinging between −6 and +10, and over steps 20–39 the loss bounces between 0.11 and 3.9, while the
# run with `zero_grad` sits below 0.001 with a `.grad` of at most 0.003. Same weights, same learning
# rate: one missing line.
#
# With §2's tanh output the bug hides better. The forgetful run is far ahead at step 10 (0.0004
# against 0.1259): stopped there, it would pass for a speed-up. Then the pushes it never forgot
# throw it off, a spike to 0.4811 at step 20, and by step 25 it sits at 4.0000 and stays there,
# while the run with `zero_grad` keeps creeping down (0.0218 at step 39).
#
# ## 3. Two moons
#
# A classic toy problem: two interleaving half-circles, which no straight line can separate. `nn.fit`
# runs the loop above, with hinge loss and micrograd's SGD as micrograd's demo does: the learning rate
# falls linearly over the run, $1.0 - 0.9 \cdot \text{step} / \text{steps}$, from 1.0 towards 0.1. It
# records the loss and accuracy of every step.

# %%
from nn.boundary import plot_decision_boundary

X, y = nn.make_moons(60, noise=0.1, seed=0)
model = nn.MLP(2, [8, 8, 1], seed=1)
history = nn.fit(model, X, y, loss="hinge", steps=60, progress=False)
print(history)
print(f"final loss {history.loss[-1]:.4f}, accuracy {history.accuracy[-1]:.1%}")
schedule = f"{history.lr[0]:.3f} at step 0, {history.lr[30]:.3f} at step 30, {history.lr[-1]:.3f} at step 59"
print("fit's default learning rate:", schedule)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
left.plot(history.loss, label="loss")
left.plot(history.accuracy, label="accuracy")
left.set_xlabel("step")
left.set_ylabel("hinge loss; accuracy (fraction)")
left.legend()
left.set_title("training")
plot_decision_boundary(model, X, y, ax=right, resolution=50)
plt.show()

# %% [markdown]
# The network has bent its boundary around the moons: the shaded regions are the class it gives each
# point of the plane, and a red ring marks each training point it still gets wrong. Here there is one
# (the title's 59/60): a class-0 point at about (1.1, −0.1), inside the class-1 region.
#
# That accuracy is measured on the very points the network trained on, which says little about new
# points. Holding out a quarter of the data (`val_split=0.25`, drawn by `seed`) gives an honest number:
# the validation accuracy, on points the weights never saw.

# %%
model = nn.MLP(2, [8, 8, 1], seed=1)
held_out = nn.fit(model, X, y, loss="hinge", steps=60, progress=False, val_split=0.25, seed=0)
print(f"training accuracy {held_out.accuracy[-1]:.1%}, validation accuracy {held_out.val_accuracy[-1]:.1%}")

# %% [markdown]
# The network gets 97.8% of the 45 points it trained on right and all 15 held-out points (100.0%).
# On 15 points one mistake costs 6.7 percentage points, so read that as "no worse on new points", not
# as better.

# %% [markdown]
# ### Minibatches
#
# Every step so far ran all 60 points forward and backward. **Minibatch SGD** draws a few of them
# each step (here 16, without replacement, from a generator seeded by `seed`) and follows the
# gradient of their loss alone: a noisy estimate of the full gradient at about a quarter of the cost.
# Below, two runs get the same budget of 3,600 samples seen: 60 full-batch steps, or 225 steps of 16.
# Each step's loss is on its own batch; `val=(X, y)` makes `fit` also measure, without a graph, the
# loss on all 60 points at every step, so the two runs are compared on the same data. (Each run's
# learning rate falls from 1.0 towards 0.1 over its own steps, fit's default.)

# %%
budget = 60 * len(X)  # samples seen: 60 steps of all 60 points
runs = {}
for batch_size in (len(X), 16):
    model = nn.MLP(2, [8, 8, 1], seed=1)
    steps = budget // batch_size
    runs[batch_size] = nn.fit(
        model, X, y, loss="hinge", steps=steps, batch_size=batch_size, seed=0, val=(X, y), progress=False
    )
full, mini = runs[len(X)], runs[16]
for batch_size, h in runs.items():
    jumps = [after - before for before, after in zip(h.val_loss, h.val_loss[1:])]
    print(
        f"batch {batch_size:2d}: {h.steps} steps; loss on all 60 at step 59 {h.val_loss[59]:.4f}, "
        f"at the last step {h.val_loss[-1]:.4f} (accuracy {h.val_accuracy[-1]:.1%}); "
        f"it rose on {sum(j > 0 for j in jumps)} of {len(jumps)} steps, by at most {max(jumps):.3f}"
    )
below = next(k for k, v in enumerate(mini.val_loss) if v < full.val_loss[-1])
print(f"batch 16 first beats full batch's final {full.val_loss[-1]:.4f} at step {below}, after {16 * below} samples")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
left.plot(mini.loss, color="tab:orange", linewidth=0.8, alpha=0.6, label="batch 16: its batch's loss")
left.plot(mini.val_loss, "--", color="tab:orange", label="batch 16: loss on all 60")
left.plot(full.loss, color="tab:blue", label="batch 60 (full)")
left.set_xlabel("step")
left.set_ylabel("hinge loss")
left.set_title("per step")
left.legend()
for h, size, style, color in ((full, len(X), "-", "tab:blue"), (mini, 16, "--", "tab:orange")):
    right.plot([k * size for k in range(h.steps)], h.val_loss, style, color=color, label=f"batch {size}")
right.set_xlabel("samples seen")
right.set_ylabel("hinge loss on all 60 points")
right.set_title("per sample seen")
right.legend()
plt.show()

# %% [markdown]
# Per step (left) the minibatch run is noisier and behind. Its batch's loss jumps about, and even its
# loss on all 60 points rose on 46 of its 224 steps, once by 0.505 (the full batch: 13 of 59, by at
# most 0.039); at step 59 it is at 0.2462 against the full batch's 0.0949. But each of its steps costs
# about a quarter as much (16 samples, not 60), so per sample seen (right) it is ahead: it beats the
# full batch's final 0.0949 after 1,168 samples, a third of the budget, and ends at 0.0000 (every
# point beyond the margin, 100% accuracy). For the same arithmetic it took 225 steps instead of 60.
# (Part of that lead is the schedule: stretched over 225 steps, its learning rate stays high for
# longer.)

# %% [markdown]
# ## 4. The learning rate
#
# Plain SGD with a fixed learning rate, three times from the same starting weights:
#
# - **too small** (0.003) — every step is tiny: in 40 steps the loss only creeps from 0.8647 to
#   0.6893 (81.7% accuracy);
# - **about right** (0.5) — the loss drops fast in the first steps, then keeps falling, with small
#   wobbles, to 0.1284 (95.0%);
# - **too large** (10) — the first update overshoots wildly (the loss jumps to 24) and the run ends
#   at chance, 50%, with all 8 ReLUs of the second hidden layer dead. The step-by-step run below
#   shows how.

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for lr in (0.003, 0.5, 10.0):
    model = nn.MLP(2, [8, 8, 1], seed=1)
    h = nn.fit(model, X, y, optimizer=nn.SGD(model.parameters(), lr=lr), steps=40, progress=False)
    dead = h.activation_stats[1].dead  # second hidden layer: ReLUs at 0 for every sample
    print(
        f"lr {lr:<6} final loss {h.loss[-1]:.4f}  accuracy {h.accuracy[-1]:.1%}"
        f"  dead ReLUs in layer 1: {dead} of 8"
    )
    ax.plot(h.loss, label=f"lr = {lr}")
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("hinge loss (log scale)")
ax.set_title("what the learning rate does")
ax.legend()
plt.show()

# %% [markdown]
# The lr = 10 run again, one step at a time (`fit(..., steps=1)` with the same optimizer is one
# update), looking at the network after each: its loss and accuracy before the update, the mean
# |gradient| reaching the first layer, and how many of layer 1's ReLUs are dead after it.

# %%
model = nn.MLP(2, [8, 8, 1], seed=1)
sgd = nn.SGD(model.parameters(), lr=10.0)
bias = model.layers[-1].neurons[0].b
print("step    loss  accuracy  layers.0 mean |grad|  dead in layer 1  output bias")
for step in range(17):
    h = nn.fit(model, X, y, optimizer=sgd, steps=1, progress=False)
    first_layer, dead = h.grad_stats[0][0].mean_abs_grad, h.activation_stats[1].dead
    print(f"{step:4d}  {h.loss[0]:6.4f}  {h.accuracy[0]:8.1%}  {first_layer:20.1e}  {dead:9d} of 8  {bias.data:11.3f}")

# %% [markdown]
# A ReLU whose input is negative for every sample outputs 0 and passes back a gradient of exactly 0:
# it is *dead*. The first update (step 0) kills 2 of layer 1's 8 ReLUs and the overshoot of step 1
# (loss 24.0562) four more; after step 2, 7 of 8 are dead, and from step 1 on the accuracy is 50%,
# chance. The one live ReLU still carries a gradient to the first layer (between 4.4e-05 and 2.3e-02
# over steps 3–13), and the loss creeps from 1.0021 down to 0.7997 at step 11; but at this learning
# rate the next updates kill it too: 8 of 8 after step 13. From step 14 the first layer's gradient is
# exactly 0, since nothing gets back past a layer of dead ReLUs. Only the output bias still learns,
# and each step throws it 5 the other way (−1.833, 3.167, −1.833, …): the loss alternates between
# 2.0833 and 1.4167 to the end of the run.

# %% [markdown]
# Try other values yourself: the sliders below retrain the same network from the same starting
# weights with the learning rate and the number of steps you pick, and redraw its loss curve on fixed
# axes (at most 50 steps: under a second a redraw). The plot of the three runs above is the static
# version, for readers not running the notebook.


# %%
from ipywidgets import FloatLogSlider, IntSlider, interact


def train_and_draw(learning_rate, steps):
    model = nn.MLP(2, [8, 8, 1], seed=1)
    sgd = nn.SGD(model.parameters(), lr=learning_rate)
    h = nn.fit(model, X, y, optimizer=sgd, steps=steps, progress=False)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(h.loss)
    ax.set(xlim=(0, 50), yscale="log", ylim=(1e-3, 100), xlabel="step", ylabel="hinge loss (log scale)")
    ax.set_title(f"lr = {learning_rate:.3g}: final loss {h.loss[-1]:.4f}, accuracy {h.accuracy[-1]:.1%}")
    plt.show()


_ = interact(
    train_and_draw,
    learning_rate=FloatLogSlider(value=0.5, base=10, min=-3, max=1, step=0.1, description="learning rate"),
    steps=IntSlider(value=40, min=5, max=50, step=5, description="steps"),
)

# %% [markdown]
# ## 5. Adam vs SGD
#
# Adam keeps, for every weight, a running average of its gradient (momentum) and of its squared
# gradient, and divides one by the square root of the other: each weight gets its own step size, about
# the learning rate whatever the size of its gradient. Each optimiser runs once below, from the same
# starting weights, with a learning rate picked for it.

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for name, make, lr in (("SGD", nn.SGD, 0.5), ("Adam", nn.Adam, 0.05)):
    model = nn.MLP(2, [8, 8, 1], seed=1)
    h = nn.fit(model, X, y, optimizer=make(model.parameters(), lr=lr), steps=40, progress=False)
    print(f"{name:<5} lr {lr:<5} final loss {h.loss[-1]:.4f}  accuracy {h.accuracy[-1]:.1%}")
    ax.plot(h.loss, label=f"{name}, lr = {lr}")
ax.set_yscale("log")
ax.set_xlabel("step")
ax.set_ylabel("hinge loss (log scale)")
ax.set_title("SGD and Adam, one run each")
ax.legend()
plt.show()

# %% [markdown]
# The two curves stay close for about 15 steps; then Adam's keeps falling smoothly, to 0.0633 (98.3%),
# while SGD's wobbles down to 0.1284 (95.0%). That is one seed and two hand-picked learning rates:
# what Adam did here, not a measure of how much better it is in general (a fair race would try
# several seeds and tune each optimiser's learning rate).
#
# **Takeaways.** A model is arithmetic on parameter Values; one training step is forward, zero the
# gradients, backward, update — forget the zeroing and `.grad` becomes the sum of every past slope.
# Minibatches trade a noisier step for a cheaper one. The learning rate sets the size of each step —
# too small crawls, too large kills the ReLUs — and optimizers like Adam adapt the step to each
# weight. From the shell: `chainrule train --dataset moons --plot moons.png`.
#
# **Exercises:** [exercises/03_training_loop.ipynb](exercises/03_training_loop.ipynb): the moons loop
# written without `fit` (minibatch SGD, L2 regularisation, a learning-rate schedule), then a
# held-out split and its accuracy.
