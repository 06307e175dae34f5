"""Replace a site folder whole: write a new one beside it, then swap it in.

``staged(target)`` gives a fresh folder beside ``target`` (``.<name>.rendering-<pid>``) to write into. When the
block ends without an error the folder takes ``target``'s place: in one step where the system can exchange two
folders (Linux ``renameat2(RENAME_EXCHANGE)``), else with two renames (``target`` to ``.<name>.replaced-<pid>``,
then the new folder to ``target``); the old folder is then removed. When the block fails, the new folder is
removed and ``target`` is untouched. A reader who opens ``target/index.html`` gets the old site or the new one,
never a mix and never a missing page.

Before staging, the leftovers of an interrupted render (a ``.<name>.rendering-*`` or ``.<name>.replaced-*``
folder whose process is gone) are removed, and a ``target`` lost between the two renames is put back. Swaps
into one target are serialised with a lock on the parent folder, so two renders at once each leave a whole
site (the last one's).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

RENDERING = "rendering"
REPLACED = "replaced"
# what the renderer writes at the site's root: a folder holding anything else is not ours to replace
# (and reports/unchanged.py's record of what was rendered)
SITE_ENTRIES = frozenset({"index.html", "quality.html", "races", "seasons", "qualifying", "drivers", ".rendered.json"})
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class SiteFolderError(Exception):
    """A folder the site may not replace, in one line with the fix."""


def _leftover(target: Path, kind: str, pid: int) -> Path:
    return target.parent / f".{target.name}.{kind}-{pid}"


def _is_running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # ours: a leftover of an earlier render in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _leftovers(target: Path, kind: str) -> list[tuple[Path, int]]:
    found = []
    for path in sorted(target.parent.glob(f".{target.name}.{kind}-*")):
        pid = path.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _is_running(int(pid)):
            found.append((path, int(pid)))
    return found


def has_leftovers(target: Path) -> bool:
    """Whether an interrupted render into ``target`` left something beside it (the next render cleans it up)."""
    return bool(_leftovers(target, REPLACED) or _leftovers(target, RENDERING))


def clean_leftovers(target: Path) -> list[str]:
    """Remove what interrupted renders into ``target`` left beside it; returns what was done, one line each."""
    done = []
    replaced = _leftovers(target, REPLACED)
    if replaced and not target.exists():  # interrupted between the two renames: the previous site comes back
        path, _ = replaced.pop()
        path.rename(target)
        done.append(f"restored {target} from {path.name} (a render was interrupted while swapping)")
    for path, _ in [*replaced, *_leftovers(target, RENDERING)]:
        shutil.rmtree(path, ignore_errors=True)
        done.append(f"removed {path.name} (left by an interrupted render)")
    return done


def check_replaceable(target: Path) -> None:
    """Stop before a render when ``target`` is a file or a folder holding what the renderer never writes."""
    if target.exists() and not target.is_dir():
        raise SiteFolderError(f"{target} is a file, not a folder: give --out a folder (it is replaced whole)")
    if target.is_dir():
        foreign = sorted(entry.name for entry in target.iterdir() if entry.name not in SITE_ENTRIES)
        if foreign:
            raise SiteFolderError(
                f"{target} holds {', '.join(foreign[:3])}{' …' if len(foreign) > 3 else ''}, which a report site "
                "does not: give --out a new or empty folder, or the site's own (it is replaced whole)"
            )


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step; False where the system or file system cannot (nothing was changed then)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not Linux, or a C library without renameat2
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def swap_in(new: Path, target: Path) -> None:
    """Put the folder ``new`` at ``target``, replacing (and removing) the folder there."""
    if not target.exists():
        new.rename(target)
        return
    if exchange(new, target):  # target is the new site now, and ``new`` holds the old one
        shutil.rmtree(new)
        return
    old = _leftover(target, REPLACED, os.getpid())
    target.rename(old)
    new.rename(target)
    shutil.rmtree(old)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


@contextlib.contextmanager
def staged(target: Path, cleaned: list[str] | None = None) -> Iterator[Path]:
    """A fresh folder to write the site into, swapped in for ``target`` when the block succeeds.

    ``cleaned`` receives a line for each leftover of an interrupted render removed first.
    """
    target = Path(os.path.abspath(target))  # '.' or 'site/..' have a name and a parent to stage beside
    if target.is_symlink():
        target = target.resolve()  # the folder the link points at is the one to replace
    check_replaceable(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent):
        done = clean_leftovers(target)
    if cleaned is not None:
        cleaned.extend(done)
    stage = _leftover(target, RENDERING, os.getpid())
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        yield stage
        with _locked(target.parent):
            check_replaceable(target)  # again: someone may have written into it while the site was rendered
            swap_in(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)  # the new site when it failed, nothing when it was swapped in
