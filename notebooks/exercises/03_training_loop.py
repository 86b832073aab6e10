# %% [markdown]
# # Exercises 3 — The training loop, without `fit`
#
# Goes with lesson 3. Write the loop `nn.fit` runs for you, the way micrograd's demo does. The check
# cell trains a fresh `MLP(2, [16, 16, 1], seed=1)` with your function on 75 moon points and measures
# its accuracy on 25 points it never saw (a fixed split): ✓ at 90% or more, else ✗ with a hint.
# Then you split the points and measure that accuracy yourself.

# %%
import random

from checks import report
from checks_training import check_moons_training

import nn
from engine import Value

# %% [markdown]
# ## Task 1: minibatch SGD with L2 regularisation and a learning-rate schedule
#
# `train(model, X, y)` with labels 0/1. For each of `steps` steps:
#
# 1. draw a minibatch of `batch_size` indices (`rng.sample`);
# 2. the hinge loss of the batch, with targets $\pm 1$: mean of `(1 - t * model(x)).relu()`;
# 3. plus `alpha` times the sum of every parameter squared (L2 regularisation);
# 4. `model.zero_grad()` — forget it and every step adds to the previous steps' gradients — then
#    `backward()`;
# 5. move every parameter by `-lr * p.grad` with `lr = 1.0 - 0.9 * k / steps` (micrograd's schedule).


# %%
def train(model, X, y, steps=60, batch_size=32, alpha=1e-4, seed=0):
    rng = random.Random(seed)
    params = model.parameters()
    # YOUR CODE HERE
    raise NotImplementedError
    return model


# %%
check_moons_training(train)

# %% [markdown]
# ## Task 2: validation — accuracy on points the loop never saw
#
# An accuracy measured on the points the weights were fitted to says how well they fit *those*
# points; a network can learn them by heart. To know how it does on new points, hold some out before
# training and measure there. Write:
#
# - `split(n, n_val, seed)`: the indices `0 .. n-1` shuffled with `random.Random(seed)`, returned as
#   two lists, `(train, validation)`, the validation list the last `n_val` of the shuffled ones;
# - `accuracy(model, X, y)`: the fraction of points whose prediction, `model(x).data > 0` for class 1,
#   matches its label.


# %%
def split(n, n_val, seed=0):
    # YOUR CODE HERE
    raise NotImplementedError


def accuracy(model, X, y):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
train_idx, val_idx = (list(part) for part in split(100, 25, seed=0))
problems = []
if sorted(train_idx + val_idx) != list(range(100)) or len(val_idx) != 25:
    problems.append(
        f"split(100, 25) should give 75 + 25 indices, each of 0..99 once, got {len(train_idx)} + {len(val_idx)}"
    )
elif sorted(val_idx) == list(range(75, 100)) or list(split(100, 25, seed=1)[1]) == val_idx:
    problems.append("the validation points should be a random draw (shuffled with the seed), not the last 25")
# by hand: a "model" that predicts class 1 where x[0] > 0, on four points: right, right, wrong, right
points, labels = [[1.0], [-1.0], [2.0], [-3.0]], [1, 0, 0, 0]
got = accuracy(lambda x: Value(x[0]), points, labels)
if got != 0.75:
    problems.append(f"accuracy on the four points worked out by hand should be 3 of 4 = 0.75, got {got!r}")
report(
    "split and accuracy",
    problems,
    hint="shuffle list(range(n)) with random.Random(seed).shuffle, then slice; accuracy counts "
    "(model(x).data > 0) == (label == 1) and divides by the number of points",
)

X, y = nn.make_moons(100, noise=0.1, seed=0)
model = train(nn.MLP(2, [16, 16, 1], seed=1), [X[i] for i in train_idx], [y[i] for i in train_idx])
seen = accuracy(model, [X[i] for i in train_idx], [y[i] for i in train_idx])
unseen = accuracy(model, [X[i] for i in val_idx], [y[i] for i in val_idx])
print(f"training accuracy {seen:.1%} on the 75 points it learned from, validation accuracy {unseen:.1%} on 25 new ones")

# %% [markdown]
# The validation accuracy is the one to report: it is the only one of the two that measures the
# network on points it did not learn from.
