"""The pieces of an object transfer: what is copied, the memory budget, the checks.

Shared by transfer.py (single PUTs, the entry point) and multipart.py.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import math
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.client import BaseClient
from botocore.exceptions import ClientError

from keystone_api.storage.digest import CHECKSUM_META
from keystone_api.storage.s3 import head_or_none
from keystone_api.sync.errors import EdgeObjectError, EncryptionNotApplied

MAX_PARTS = 10_000  # the S3 limit
MIB = 1024 * 1024


@dataclass(frozen=True)
class Source:
    bucket: str
    key: str
    size: int
    sha256: str  # hex, as recorded at the edge


@dataclass(frozen=True)
class CopyResult:
    sha256: str
    size: int
    transferred: int  # bytes sent in this call (0 when the cloud already had the object)
    multipart: bool
    # When this call completed a multipart upload: the CRC64NVME (base64) of the bytes it
    # sent, the store's full-object checksum's expected value (the receiver compares).
    crc64nvme: str | None = None


class PartBudget:
    """Bounds the bytes a drain holds in memory: a slot per part in flight, one pool.

    Slots go to the waiter with the lowest priority value first (the earliest approval):
    the window's episodes are registered in approval order, so the oldest should finish
    its transfer first, and the receiver's verification of it overlaps with the transfer
    of the next instead of all of them finishing together.
    """

    def __init__(self, parts_in_flight: int) -> None:
        self.pool = ThreadPoolExecutor(parts_in_flight, thread_name_prefix="sync-part")
        self._free = parts_in_flight
        self._cond = threading.Condition()
        self._waiting: list[tuple[float, int]] = []
        self._tickets = itertools.count()

    @contextmanager
    def slot(self, priority: float = 0.0) -> Iterator[None]:
        self.acquire(priority)
        try:
            yield
        finally:
            self.release()

    def acquire(self, priority: float = 0.0) -> None:
        with self._cond:
            ticket = (priority, next(self._tickets))
            heapq.heappush(self._waiting, ticket)
            while self._free == 0 or self._waiting[0] != ticket:
                self._cond.wait()
            heapq.heappop(self._waiting)
            self._free -= 1
            self._cond.notify_all()  # the next in line may take another free slot

    def release(self) -> None:
        with self._cond:
            self._free += 1
            self._cond.notify_all()

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def crc64_b64(crc: int) -> str:
    """S3's encoding of a CRC64NVME: the 8 big-endian bytes, base64."""
    return b64(crc.to_bytes(8, "big"))


def part_size_for(size: int, preferred: int) -> int:
    """The preferred part size, grown in whole MiB only when a file needs > 10,000 parts."""
    needed = math.ceil(size / MAX_PARTS)
    return max(preferred, math.ceil(needed / MIB) * MIB)


def sse_args(sse: str) -> dict[str, str]:
    return {"ServerSideEncryption": sse} if sse else {}


def check_sse(answer: dict[str, Any], sse: str, key: str) -> None:
    if sse and answer.get("ServerSideEncryption") != sse:
        raise EncryptionNotApplied(
            f"cloud store did not apply server-side encryption {sse} to {key} "
            f"(answered {answer.get('ServerSideEncryption')!r})"
        )


def read_exactly(body: Any, n: int) -> bytes:
    chunks: list[bytes] = []
    missing = n
    while missing:
        chunk = body.read(min(missing, 8 * MIB))
        if not chunk:
            raise EdgeObjectError(f"edge object ended {missing} bytes early")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks) if len(chunks) != 1 else chunks[0]


def open_source(edge: BaseClient, src: Source) -> Any:
    try:
        return edge.get_object(Bucket=src.bucket, Key=src.key)["Body"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
            raise EdgeObjectError(f"edge object s3://{src.bucket}/{src.key} is missing") from None
        raise


def mismatch(src: Source, actual: str) -> EdgeObjectError:
    return EdgeObjectError(
        f"edge object s3://{src.bucket}/{src.key} has SHA-256 {actual}, "
        f"but {src.sha256} was recorded when it landed"
    )


def already_in_cloud(cloud: BaseClient, bucket: str, key: str, src: Source, sse: str) -> bool:
    """The key is content-addressed, so a complete object of the right size and checksum
    metadata there is this object (a resend after a lost answer, or an admin re-sync)."""
    head = head_or_none(cloud, bucket, key)
    return (
        head is not None
        and int(head.get("ContentLength", -1)) == src.size
        and (head.get("Metadata") or {}).get(CHECKSUM_META) == src.sha256
        and (not sse or head.get("ServerSideEncryption") == sse)
    )
