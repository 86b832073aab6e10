# %% [markdown]
# # Exercises 4 — Initialisation and clipping
#
# Goes with lesson 4. Each task is a code cell ending in `# YOUR CODE HERE` and
# `raise NotImplementedError`: replace those two lines with your code. The cell after each task
# checks it (against signals measured in deep networks, and against `nn.clip_grad_norm`) and prints
# ✓, or ✗ with what is wrong and a hint.

# %%
import math

from checks_training import check_clip_grad_norm, check_gain

# %% [markdown]
# ## Task 1: predict the per-layer gain
#
# A layer with `fan_in` inputs and weights of variance `var_w` sums `fan_in` terms $w x$:
# $\mathrm{Var}(\sum w x) = n \cdot \mathrm{Var}(w) \cdot E[x^2]$. A ReLU then keeps about half of it,
# a linear layer all of it. Return the factor by which the size (root mean square) of the signal grows
# per layer. The check measures it in 8-layer networks of width 24 with micrograd's uniform init
# ($\mathrm{Var} = 1/3$), Xavier ($2/(24+24)$) and He ($2/24$).


# %%
def gain(fan_in, var_w, activation):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check_gain(gain)

# %% [markdown]
# ## Task 2: `clip_grad_norm` by hand
#
# `clip_grad_norm(params, max_norm)`: the total norm $\sqrt{\sum g^2}$ of the parameters' `.grad`; if
# it is above `max_norm`, multiply every `.grad` by `max_norm / (norm + 1e-6)` (PyTorch's rule). Return
# the norm before clipping.


# %%
def clip_grad_norm(params, max_norm):
    # YOUR CODE HERE
    raise NotImplementedError


# %%
check_clip_grad_norm(clip_grad_norm)
