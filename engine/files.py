"""Writing files so that they appear complete or not at all.

A drawing, an animation or a saved model is written under a temporary name in the same folder
and then renamed over the target. A rename within one folder is atomic, so a crash or an error
halfway leaves the old file (or none), never a half-written one. The bytes are flushed to disk
before the rename and the folder after it, so that a power cut cannot undo the rename or leave
the new name pointing at empty blocks.

The temporary file gets the mode the finished file should have — the target's own if it exists
(a private 0600 model stays private), else what a plain `open()` gives — without touching the
umask, which is one setting for the whole process: changing it even for a moment would give a
file another thread creates meanwhile the wrong permissions.

A writer killed outright (kill -9, a power cut) cannot remove its temporary file. Its name is
unmistakable, `.<target>.chainrule-tmp-<8 hex digits><suffix>`, and the next write of the same
target removes such leftovers once they are a minute old and no writer holds them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["write_atomically", "check_target", "temporary_name", "TEMPORARY_MARK", "STALE_AFTER"]

TEMPORARY_MARK = ".chainrule-tmp-"
STALE_AFTER = 60.0  # seconds: a temporary file this old, held by no writer, was left by a killed one
_LONGEST_KEPT_SUFFIX = 16  # bytes: ".html" is kept at the end of the temporary name; ".<250 bytes>" is not


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
    try:
        kept_mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        kept_mode = None
    _remove_stale_temporaries(path)
    temporary, fd = _create_temporary(path)
    try:
        _hold(fd)  # while held, no other writer's clean-up takes it for a leftover
        write(temporary)
        if kept_mode is not None:  # after `write`, in case it made the file anew
            os.chmod(temporary, kept_mode)
        _flush_to_disk(temporary)
        os.replace(temporary, path)
    finally:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _flush_folder(path.parent)
    return path


def temporary_name(path: Path, tag: str) -> str:
    """`.<name>.chainrule-tmp-<tag><suffix>`, the name cut short so it fits wherever `path` fits.

    >>> temporary_name(Path('model.json'), '0123abcd')
    '.model.chainrule-tmp-0123abcd.json'
    >>> name = temporary_name(Path('m' * 250 + '.json'), '0123abcd')  # cut to the folder's NAME_MAX
    >>> len(name) <= 255, name.endswith('m.chainrule-tmp-0123abcd.json')
    (True, True)
    """
    suffix = path.suffix if len(os.fsencode(path.suffix)) <= _LONGEST_KEPT_SUFFIX else ""
    stem = path.name[: len(path.name) - len(suffix)]
    room = _name_max(path.parent) - len(os.fsencode(f".{TEMPORARY_MARK}{tag}{suffix}"))
    while len(os.fsencode(stem)) > room:  # by characters, so a cut never splits one in two
        stem = stem[:-1]
    return f".{stem}{TEMPORARY_MARK}{tag}{suffix}"


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows) or no answer: the usual limit
        return 255


def _create_temporary(path: Path) -> tuple[str, int]:
    """A new, empty temporary file beside `path`, and its descriptor.

    Mode 0o666 is asked for and the system takes the umask off it, exactly as for a plain open();
    O_EXCL makes sure the file is new (never someone's file or link of the same name).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    while True:
        temporary = str(path.parent / temporary_name(path, secrets.token_hex(4)))
        try:
            return temporary, os.open(temporary, flags, 0o666)
        except FileExistsError:  # one chance in 4 billion: draw another name
            continue


def _hold(fd: int) -> None:
    """Lock the temporary file for as long as this writer runs (the lock dies with the process)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the age alone tells a leftover
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _remove_stale_temporaries(path: Path) -> None:
    """Remove the temporary files a killed writer of `path` left: older than STALE_AFTER, unlocked."""
    tag_length = 8
    start, end = temporary_name(path, "x" * tag_length).split("x" * tag_length)
    now = time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return  # a folder we cannot list we cannot clean either; the write itself will say why
    for entry in entries:
        tag = entry.name[len(start) : len(entry.name) - len(end)]
        if not (entry.name.startswith(start) and entry.name.endswith(end) and len(tag) == tag_length):
            continue
        if not all(c in "0123456789abcdef" for c in tag):
            continue
        with contextlib.suppress(OSError):  # gone already, or not ours to remove: leave it
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_AFTER and not _held(entry.path):
                os.unlink(entry.path)


def _held(name: str) -> bool:
    """Whether a running writer holds the temporary file `name` (see _hold)."""
    try:
        import fcntl
    except ImportError:
        return False
    fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _flush_to_disk(name: str) -> None:
    """fsync the file's bytes, so the name never points at blocks not yet written."""
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _flush_folder(folder: Path) -> None:
    """fsync the folder, so the rename itself survives a power cut (POSIX; skipped where folders cannot be opened)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):  # a file system that cannot sync folders
            raise
    finally:
        os.close(fd)
