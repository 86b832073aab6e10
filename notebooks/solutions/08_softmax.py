# %% [markdown]
# # Exercises 8 — Softmax and cross-entropy
#
# Goes with lesson 8. Each task is a code cell ending in `# YOUR CODE HERE` and
# `raise NotImplementedError`: replace those two lines with your code. The cell after each task
# checks it against `backward()` through `nn.losses.cross_entropy` and prints ✓, or ✗ with what is
# wrong and a hint. Plain floats only: no Value, no backward of your own.

# %%
import math

from checks_training import check_cross_entropy, check_softmax_grad

# %% [markdown]
# ## Task 1: the loss
#
# `cross_entropy(logits, target)` is $-\log \mathrm{softmax}(z)_t = \log \sum_i e^{z_i} - z_t$. Make it
# work for logits like 800 too: subtract the largest logit before `exp`.


# %%
def cross_entropy(logits, target):
    ### BEGIN SOLUTION
    m = max(logits)
    log_sum_exp = m + math.log(math.fsum(math.exp(z - m) for z in logits))
    return log_sum_exp - logits[target]
    ### END SOLUTION


# %%
check_cross_entropy(cross_entropy)

# %% [markdown]
# ## Task 2: the gradient by hand
#
# `grad(logits, target)` returns $\partial L / \partial z_j = p_j - [j = t]$ for every $j$, with
# $p = \mathrm{softmax}(z)$.


# %%
def grad(logits, target):
    ### BEGIN SOLUTION
    m = max(logits)
    exps = [math.exp(z - m) for z in logits]
    total = math.fsum(exps)
    return [e / total - (1.0 if j == target else 0.0) for j, e in enumerate(exps)]
    ### END SOLUTION


# %%
check_softmax_grad(grad)
