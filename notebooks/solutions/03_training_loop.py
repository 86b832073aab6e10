# %% [markdown]
# # Exercises 3 — The training loop, without `fit`
#
# Goes with lesson 3. Write the loop `nn.fit` runs for you, the way micrograd's demo does. The check
# cell trains a fresh `MLP(2, [16, 16, 1], seed=1)` with your function on 75 moon points and measures
# its accuracy on 25 points it never saw (a fixed split): ✓ at 90% or more, else ✗ with a hint.

# %%
import random

from checks_training import check_moons_training

# %% [markdown]
# ## Task: minibatch SGD with L2 regularisation and a learning-rate schedule
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
    ### BEGIN SOLUTION
    for k in range(steps):
        batch = rng.sample(range(len(X)), batch_size)
        margins = [(1 - (2 * y[i] - 1) * model(X[i])).relu() for i in batch]
        loss = sum(margins) / len(batch) + alpha * sum(p * p for p in params)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / steps
        for p in params:
            p.data -= lr * p.grad
    ### END SOLUTION
    return model


# %%
check_moons_training(train)
