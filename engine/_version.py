"""The one place chainrule's version is written: pyproject.toml reads it from here when building,
and `engine.__version__`, `nn.__version__` and `chainrule.__version__` import it."""

__version__ = "0.1.0"
