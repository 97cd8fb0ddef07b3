"""Publishing a built release, so that readers only ever see a complete one.

The emit rules build the release in a staging directory under the work directory, which no
reader looks at.  Publishing makes it visible in two atomic steps (docs/decisions.md "A release
is whole or absent"):

1. its files are hard-linked (copied across file systems) into a new directory of
   ``<output_dir>.versions/``, named by the release version and the digest of its MANIFEST,
   under a hidden temporary name that is renamed to the final one once every file is there;
2. ``output_dir``, a symbolic link, is pointed at that directory by renaming a new link over it.

A build killed at any moment therefore leaves ``output_dir`` pointing at the previous complete
release or at the new one.  The version it pointed at before stays, with the link
``<output_dir>.previous`` to it (a reader may still be reading it, and two releases are compared
with ``diff``); older versions are removed.  Every emit writer replaces its file with a new one
(curation.io), so a rebuild never changes a file a published version links to.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from curation.release import manifest

#: Suffix of the directory beside ``output_dir`` that holds the published versions.
VERSIONS_SUFFIX = ".versions"
#: Suffix of the link beside ``output_dir`` to the version published before.
PREVIOUS_SUFFIX = ".previous"
#: Hex digits of the MANIFEST's sha256 in a version's directory name.
DIGEST_DIGITS = 12
#: A published version's directory name: ``<version>-<12 hex digits>``.
VERSION_NAME = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._+-]*-[0-9a-f]{{{DIGEST_DIGITS}}}$")
#: Prefix and suffixes of the hidden directories a publication works in.
_HIDDEN = "."
_PARTIAL, _DELETING = ".partial", ".deleting"


class PublishError(RuntimeError):
    """The release cannot be published; the message says what is in the way."""


def versions_dir(link: str | os.PathLike[str]) -> Path:
    """The directory that holds the published versions of the release at ``link``."""
    path = Path(link)
    return path.with_name(path.name + VERSIONS_SUFFIX)


def previous_link(link: str | os.PathLike[str]) -> Path:
    """The link to the version published before the current one."""
    path = Path(link)
    return path.with_name(path.name + PREVIOUS_SUFFIX)


def version_name(version: str, manifest_sha256: str) -> str:
    """The directory name of a version: the same files give the same name."""
    return f"{version}-{manifest_sha256[:DIGEST_DIGITS]}"


def current(link: str | os.PathLike[str]) -> Path | None:
    """The version directory ``link`` points at, if it is a link into its versions directory."""
    return _version_at(Path(link), versions_dir(link))


def previous(link: str | os.PathLike[str]) -> Path | None:
    """The version directory published before the current one, if its link is there."""
    return _version_at(previous_link(link), versions_dir(link))


def _version_at(path: Path, versions: Path) -> Path | None:
    """The version directory of ``versions`` the link ``path`` points at, or None."""
    if not path.is_symlink():
        return None
    target = Path(os.readlink(path))
    if target.parent != Path(versions.name) or not VERSION_NAME.match(target.name):
        return None
    return versions / target.name


def publish(staged: str | os.PathLike[str], link: str | os.PathLike[str], version: str) -> Path:
    """Publish the release built in ``staged`` at ``link``; return its version directory.

    The staged files must agree with their MANIFEST in name and size (they were checksummed as
    they were written; reading them again would cost minutes at full scale).  Publishing the
    same files again changes nothing.
    """
    staged, link = Path(staged), Path(link)
    problems = manifest.verify(staged, checksums=False)
    if problems:
        raise PublishError(f"{staged} does not match its MANIFEST: " + "; ".join(problems[:5]))
    text = (staged / "MANIFEST").read_bytes()
    name = version_name(version, hashlib.sha256(text).hexdigest())
    versions = versions_dir(link)
    versions.mkdir(parents=True, exist_ok=True)
    target = versions / name
    if target.is_dir():
        if problems := manifest.verify(target, checksums=False):
            raise PublishError(f"{target} exists but differs from its MANIFEST: {problems[0]}")
    else:
        files = [*manifest.listed_files(text.decode("utf-8")), "MANIFEST"]
        _assemble(staged, files, versions, name)
    shown = current(link)
    if shown is None or shown.name != name:
        if shown is not None:
            _point(previous_link(link), Path(versions.name) / shown.name)
        _point(link, Path(versions.name) / name)
    before = previous(link)
    _remove_old(versions, keep={name, before.name if before else name})
    return target


def _assemble(staged: Path, files: list[str], versions: Path, name: str) -> None:
    """Make ``versions/name`` hold ``files`` of ``staged``, all at once."""
    partial = Path(tempfile.mkdtemp(prefix=_HIDDEN + name + ".", suffix=_PARTIAL, dir=versions))
    partial.chmod(0o777 & ~_umask())
    try:
        for relative in files:
            destination = partial / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(staged / relative, destination)
        for path in _tree(partial):
            _fsync(path)
        os.rename(partial, versions / name)
        _fsync(versions)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _point(link: Path, target: Path) -> None:
    """Make ``link`` a symbolic link to ``target`` in one rename (an empty directory there, left
    by an earlier layout or by hand, is removed first: there was no release in it)."""
    if link.is_dir() and not link.is_symlink():
        try:
            link.rmdir()
        except OSError:
            raise PublishError(
                f"{link} is a directory with files in it; the release is published there as a "
                "link: move the directory away or choose another release.output_dir"
            ) from None
    for stale in link.parent.glob(f"{_HIDDEN}{link.name}.*.link"):
        stale.unlink()  # left by a publication killed between its two steps
    fresh = link.with_name(f"{_HIDDEN}{link.name}.{os.getpid()}.link")
    os.symlink(target, fresh)
    os.replace(fresh, link)
    _fsync(link.parent)


def _remove_old(versions: Path, keep: set[str]) -> None:
    """Remove the versions not in ``keep`` and what killed publications left behind; each is
    renamed to a hidden name first, so that no half-removed version keeps its name."""
    for entry in sorted(versions.iterdir()):
        if entry.name in keep or not entry.is_dir() or entry.is_symlink():
            continue
        if VERSION_NAME.match(entry.name):
            doomed = entry.with_name(f"{_HIDDEN}{entry.name}{_DELETING}")
            os.rename(entry, doomed)
            shutil.rmtree(doomed)
        elif _leftover(entry.name):
            shutil.rmtree(entry)


def _leftover(name: str) -> bool:
    """Is ``name`` a hidden directory a killed publication left in the versions directory?"""
    return name.startswith(_HIDDEN) and name.endswith((_PARTIAL, _DELETING))


def foreign(link: str | os.PathLike[str]) -> list[str]:
    """What at ``link``, its previous link and its versions directory no publication wrote, one
    path each.

    ``link`` may be absent, an empty directory, or a link into the versions directory (so may
    the previous link, but for the directory); the versions directory may hold version
    directories (with the files their MANIFEST lists) and what a killed publication left.
    Anything else belongs to someone else, and a build must not mix its release with it.
    """
    path = Path(link)
    found: list[str] = []
    if path.is_symlink():
        if current(path) is None:
            found.append(f"{path} (a link to {os.readlink(path)})")
    elif path.is_dir():
        found += [str(p) for p in sorted(path.rglob("*")) if not p.is_dir()]
    elif path.exists():
        found.append(str(path))
    before = previous_link(path)
    if before.is_symlink() and previous(path) is None:
        found.append(f"{before} (a link to {os.readlink(before)})")
    elif before.exists() and not before.is_symlink():
        found.append(str(before))
    versions = versions_dir(path)
    if versions.is_symlink() or (versions.exists() and not versions.is_dir()):
        return [*found, str(versions)]
    for entry in sorted(versions.iterdir()) if versions.is_dir() else []:
        if entry.is_dir() and not entry.is_symlink() and _leftover(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink() and VERSION_NAME.match(entry.name):
            found += _unlisted(entry)
        else:
            found.append(str(entry))
    return found


def _unlisted(version: Path) -> list[str]:
    """The files of a version directory that its MANIFEST does not list."""
    listed: set[str] = set()
    with contextlib.suppress(OSError, ValueError):
        text = (version / "MANIFEST").read_text(encoding="utf-8")
        listed = {"MANIFEST", *manifest.listed_files(text)}
    return [
        str(p)
        for p in sorted(version.rglob("*"))
        if not p.is_dir() and p.relative_to(version).as_posix() not in listed
    ]


def _link_or_copy(source: Path, destination: Path) -> None:
    try:
        os.link(source, destination)
    except OSError as err:
        if err.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copyfile(source, destination)


def _tree(root: Path) -> Iterator[Path]:
    """Every file and directory under ``root``, files first, ``root`` last."""
    directories = []
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            directories.append(path)
        else:
            yield path
    yield from reversed(directories)
    yield root


def _fsync(path: Path) -> None:
    """Flush a file or directory to disk, so that a power cut cannot undo a rename."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
