"""Evidence files on local disk, content-addressed: the same bytes are stored once, and never overwritten.

Only the ``evidence`` row (written in the request's transaction) makes a file visible. A file written by a
request that then rolled back stays on disk unreferenced; that is harmless (it is only reachable through a
row) and the same upload later reuses it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Accepted types, each with the leading bytes a real file of that type starts with (a type is never trusted
# from the client's word alone). Office formats are ZIP containers.
_ZIP = b"PK\x03\x04"
ACCEPTED: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (_ZIP,),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (_ZIP,),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (_ZIP,),
    "application/vnd.oasis.opendocument.text": (_ZIP,),
    "text/plain": (),
    "text/csv": (),
}


class EvidenceRejected(ValueError):
    """The file is too large, of a type we do not accept, or not what it claims to be."""


@dataclass(frozen=True)
class StoredFile:
    """Where a stored file is and what it is."""

    sha256: str
    size_bytes: int


class EvidenceStore:
    """A folder of files named by their SHA-256."""

    def __init__(self, root: Path, *, max_bytes: int):
        self.root = root
        self.max_bytes = max_bytes

    def check(self, data: bytes, content_type: str) -> None:
        """Refuse a file that is empty, too big, of an unaccepted type, or whose bytes contradict its type."""
        if not data:
            raise EvidenceRejected("the file is empty")
        if len(data) > self.max_bytes:
            raise EvidenceRejected(f"the file is {len(data)} bytes; the limit is {self.max_bytes}")
        if content_type not in ACCEPTED:
            raise EvidenceRejected(f"files of type '{content_type}' are not accepted; accepted: {', '.join(ACCEPTED)}")
        signatures = ACCEPTED[content_type]
        if signatures and not any(data.startswith(sig) for sig in signatures):
            raise EvidenceRejected(f"the file's content is not {content_type}")
        if not signatures and (b"\x00" in data or not _is_utf8(data)):
            raise EvidenceRejected(f"the file's content is not UTF-8 text ({content_type})")

    def put(self, data: bytes, content_type: str) -> StoredFile:
        """Check and store ``data``; return its hash (stored once however often it is uploaded)."""
        self.check(data, content_type)
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees a half-written file.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        return StoredFile(sha256=digest, size_bytes=len(data))

    def get(self, sha256: str) -> bytes:
        """The bytes of a stored file (raises FileNotFoundError if the store lost it)."""
        data = self._path(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise FileNotFoundError(f"evidence {sha256} is corrupt on disk")
        return data

    def remove(self, sha256: str) -> bool:
        """Delete a stored file for good (disposal); True if it was there. The caller checks nothing still uses it."""
        try:
            self._path(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def has(self, sha256: str) -> bool:
        """True while the file is on disk."""
        return self._path(sha256).exists()

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
