# %% [markdown]
# # Lesson 8 — Classifying with softmax and cross-entropy
#
# The moons had two classes and one output. With $k$ classes a network gives $k$ numbers, the
# **logits** $z_1 \dots z_k$, and **softmax** turns them into probabilities:
# $p_j = e^{z_j} / \sum_i e^{z_i}$ (positive, summing to 1, the largest logit getting the largest share).
# The **cross-entropy** loss of a sample whose true class is $t$ is $L = -\log p_t$: 0 when the network
# is sure of the right class, large when it is sure of a wrong one.
#
# The reason this pair is everywhere: its gradient is as simple as a gradient gets,
# $$\frac{\partial L}{\partial z_j} = p_j - [j = t],$$
# the predicted probabilities minus the one-hot answer. This lesson computes both by hand, checks the
# formula against `backward()`, then trains a three-class network with `nn.fit(loss="cross_entropy")`.
#
# ## 1. Softmax and cross-entropy by hand

# %%
import math

import matplotlib.pyplot as plt

import nn
from engine import Value

z = [Value(2.0, label="z0"), Value(1.0, label="z1"), Value(-1.0, label="z2")]
target = 0
exps = [zj.exp() for zj in z]
total = sum(exps)
p = [e / total for e in exps]
loss = -p[target].log()
print("softmax p:", [f"{pj.data:.4f}" for pj in p], " sum", f"{sum(pj.data for pj in p):.4f}")
print(
    f"cross-entropy by hand {loss.data:.6f}, nn.losses.cross_entropy {nn.losses.cross_entropy([z], [target]).data:.6f}"
)

# %% [markdown]
# ## 2. The gradient is p − onehot
#
# `backward()` runs the chain rule through every `exp`, the sum, the division and the `log`. The
# formula says the result must be the probabilities minus the one-hot row $[1, 0, 0]$:

# %%
loss.backward()
onehot = [1.0 if j == target else 0.0 for j in range(len(z))]
formula = [pj.data - oj for pj, oj in zip(p, onehot)]
for zj, f in zip(z, formula):
    print(f"{zj.label}: backward {zj.grad:+.6f}   p - onehot {f:+.6f}")
print("largest difference:", max(abs(zj.grad - f) for zj, f in zip(z, formula)))

fig, ax = plt.subplots(figsize=(6, 3.2))
xs = range(len(z))
ax.bar([x - 0.2 for x in xs], [pj.data for pj in p], width=0.4, label="softmax p", color="#4575b4")
ax.bar([x + 0.2 for x in xs], onehot, width=0.4, label="one-hot target", color="#fdae61")
ax.plot(xs, [zj.grad for zj in z], "ko-", label="dL/dz from backward")
ax.axhline(0, color="grey", lw=0.8)
ax.set_xticks(list(xs), [f"class {j}" for j in xs])
ax.set_ylabel("probability, or dL/dz")
ax.set_title("the gradient is the gap between p and the answer")
ax.legend(loc="upper right", fontsize="small")
plt.tight_layout()
plt.show()

# %% [markdown]
# The right class's logit gets a negative gradient (gradient descent raises it), every wrong class a
# positive one equal to the probability it wrongly received. Why: $\log p_t = z_t - \log \sum_i e^{z_i}$,
# and the derivative of $\log \sum_i e^{z_i}$ with respect to $z_j$ is $e^{z_j} / \sum_i e^{z_i} = p_j$.
#
# `nn.losses.cross_entropy` computes the same loss as a log-sum-exp that subtracts the largest logit
# first, so huge logits stay finite where the by-hand `exp` overflows:

# %%
big = [Value(800.0), Value(0.0)]
print("cross_entropy with logits 800 and 0, target 1:", nn.losses.cross_entropy([big], [1]).data)
try:
    math.exp(800.0)
except OverflowError as error:
    print("the naive exp(800):", error)

# %% [markdown]
# ## 3. Three classes
#
# Three blobs of points, an MLP with 3 outputs (linear: they are logits), cross-entropy, 40 steps:

# %%
X, y = nn.make_blobs(60, centers=3, noise=1.5, seed=0)
model = nn.MLP(2, [8, 3], seed=0)
history = nn.fit(
    model, X, y, loss="cross_entropy", optimizer=nn.SGD(model.parameters(), lr=0.1), steps=40, progress=False
)
print(history)

# %% [markdown]
# The accuracy rises from 35.0% to 91.7% of the 60 points: the points the network trained on, so it
# says how well the network fits them, not how it would do on new ones (lesson 3 holds points out
# for that).
#
# **Takeaways.** Softmax turns logits into probabilities; cross-entropy is $-\log$ of the right one;
# together their gradient is $p - \text{onehot}$, which `backward()` reproduces to the last digits.
#
# **Exercises:** [exercises/08_softmax.ipynb](exercises/08_softmax.ipynb): the cross-entropy, stable
# for logits like 800, and its gradient by hand.
