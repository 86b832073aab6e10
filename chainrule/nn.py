"""`chainrule.nn` is `nn`: modules, losses, optimizers, datasets and `fit` (see `nn`'s docstring).

>>> import chainrule, nn
>>> chainrule.nn.MLP is nn.MLP
True
"""

from __future__ import annotations

# the facade mirrors nn's __all__ exactly, so a name added there appears here without a second list
from nn import *  # noqa: F403
from nn import __all__ as __all__
from nn import __version__ as __version__
