"""Writing files so that they appear complete or not at all.

A drawing, an animation or a saved model is written under a temporary name in the same folder
and then renamed over the target. A rename within one folder is atomic, so a crash or an error
halfway leaves the old file (or none), never a half-written one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomically", "check_target"]


def check_target(path: str | os.PathLike) -> Path:
    """`path` as a Path, or the OSError that writing it would meet, said of `path` itself.

    (Not of the temporary name write_atomically uses, and before any work that would be lost.)
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a folder is in the way of the file", str(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "the folder to write into does not exist", str(path.parent))
    return path


def write_atomically(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Call `write(temporary_path)`, then rename the result over `path`; returns `path`.

    If `write` raises, nothing is left behind and `path` is untouched.

    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), 'note.txt')
    >>> _ = write_atomically(target, lambda tmp: Path(tmp).write_text('hello'))
    >>> Path(target).read_text()
    'hello'
    """
    path = check_target(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        write(temporary)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # the permissions of a file opened normally, not mkstemp's 0600
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    return path
