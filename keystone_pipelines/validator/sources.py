"""Where the bytes come from: a local file (pread) or an S3 object (ranged GETs).

Every source counts the bytes it delivered (`bytes_read`), so a result can say what each
tier cost. Reads are clipped at the end of the object; callers check lengths.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from keystone_pipelines.validator.cpu import metered

Range = tuple[int, int]  # (offset, length)


class SourceError(Exception):
    """The object cannot be read: no such file or key (`not_found`), access denied, an I/O
    or network failure. Not a verdict on the recording: report it, retry later."""

    def __init__(self, message: str, *, not_found: bool = False) -> None:
        super().__init__(message)
        self.not_found = not_found


class Source:
    """Random and sequential access to one recording."""

    name: str = ""
    size: int = 0
    stored_sha256: str | None = None  # hex SHA-256 the store keeps for the object, if any

    def __init__(self) -> None:
        self.bytes_read = 0
        self._lock = threading.Lock()

    def _count(self, n: int) -> None:
        with self._lock:
            self.bytes_read += n

    def _clip(self, offset: int, length: int) -> int:
        return max(0, min(length, self.size - offset)) if offset >= 0 else 0

    def read(self, offset: int, length: int) -> bytes:
        raise NotImplementedError

    def read_many(self, ranges: Sequence[Range]) -> list[bytes]:
        return [self.read(o, n) for o, n in ranges]

    def blocks(self, block_size: int) -> Iterator[bytes]:
        """The whole object front to back, in blocks of about block_size bytes."""
        offset = 0
        while offset < self.size:
            block = self.read(offset, block_size)
            if not block:
                return
            offset += len(block)
            yield block

    def close(self) -> None:
        pass


class LocalSource(Source):
    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.name = os.fspath(path)
        try:
            self._fd = os.open(self.name, os.O_RDONLY)
        except OSError as exc:
            missing = isinstance(exc, FileNotFoundError)
            raise SourceError(f"{self.name}: {exc.strerror or exc}", not_found=missing) from exc
        self.size = os.fstat(self._fd).st_size

    def read(self, offset: int, length: int) -> bytes:
        n = self._clip(offset, length)
        try:
            data = os.pread(self._fd, n, offset) if n else b""
        except OSError as exc:
            raise SourceError(f"{self.name}: read failed at byte {offset}: {exc}") from exc
        self._count(len(data))
        return data

    def blocks(self, block_size: int) -> Iterator[bytes]:
        # A sequential read hint lets the kernel read ahead while we hash.
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        yield from super().blocks(block_size)

    def close(self) -> None:
        os.close(self._fd)


class BytesSource(Source):
    """An in-memory recording (tests, property tests, already downloaded bytes)."""

    def __init__(self, data: bytes, name: str = "<bytes>") -> None:
        super().__init__()
        self.data, self.name, self.size = data, name, len(data)

    def read(self, offset: int, length: int) -> bytes:
        n = self._clip(offset, length)
        self._count(n)
        return self.data[offset : offset + n]


class S3Source(Source):
    """An S3 object read with ranged GETs; `read_many` merges near ranges and fetches in
    parallel, so reading a few thousand message indexes costs a few round trips."""

    MERGE_GAP = 4096  # bytes worth fetching to save a round trip; chunks are far larger
    THREADS = 8

    def __init__(self, client: Any, bucket: str, key: str) -> None:
        super().__init__()
        from botocore.exceptions import BotoCoreError, ClientError

        self.client, self.bucket, self.key = client, bucket, key
        self.name = f"s3://{bucket}/{key}"
        try:
            head = client.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            missing = code in ("404", "NoSuchKey", "NoSuchBucket", "NotFound")
            raise SourceError(f"{self.name}: {exc}", not_found=missing) from exc
        except BotoCoreError as exc:
            raise SourceError(f"{self.name}: {exc}") from exc
        self.head = head
        self.size = int(head["ContentLength"])
        self.stored_sha256 = normalize_sha256(head.get("ChecksumSHA256"))

    def read(self, offset: int, length: int) -> bytes:
        n = self._clip(offset, length)
        if not n:
            return b""
        try:
            resp = self.client.get_object(
                Bucket=self.bucket, Key=self.key, Range=f"bytes={offset}-{offset + n - 1}"
            )
            data: bytes = resp["Body"].read()
        except Exception as exc:  # botocore and urllib3 errors alike: the store failed
            raise SourceError(f"{self.name}: ranged GET at byte {offset} failed: {exc}") from exc
        self._count(len(data))
        return data

    def read_many(self, ranges: Sequence[Range]) -> list[bytes]:
        if not ranges:
            return []
        merged: list[list[int]] = []  # [start, end) spans covering the requests
        for off, n in sorted(ranges):
            if merged and off <= merged[-1][1] + self.MERGE_GAP:
                merged[-1][1] = max(merged[-1][1], off + n)
            else:
                merged.append([off, off + n])
        with ThreadPoolExecutor(min(self.THREADS, len(merged))) as pool:
            read = metered(lambda s: self.read(s[0], s[1] - s[0]))
            parts = list(pool.map(read, merged))
        starts = [s for s, _ in merged]
        out = []
        for off, n in ranges:
            i = bisect.bisect_right(starts, off) - 1
            out.append(parts[i][off - starts[i] : off - starts[i] + n])
        return out

    def blocks(self, block_size: int) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key)["Body"]
        except Exception as exc:
            raise SourceError(f"{self.name}: GET failed: {exc}") from exc
        try:
            while True:
                try:
                    block = body.read(block_size)
                except Exception as exc:
                    raise SourceError(f"{self.name}: stream broke: {exc}") from exc
                if not block:
                    return
                self._count(len(block))
                yield block
        finally:
            body.close()


def normalize_sha256(value: str | None) -> str | None:
    """A SHA-256 as lowercase hex, from hex or S3's base64 form; None for a missing or a
    composite (multipart, "...-N") checksum, which is not the SHA-256 of the object."""
    if not value:
        return None
    value = value.strip()
    if len(value) == 64:
        try:
            bytes.fromhex(value)
            return value.lower()
        except ValueError:
            pass
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


def open_source(target: str | os.PathLike[str], s3_client: Any = None) -> Source:
    """A local path, or an s3://bucket/key URL read with `s3_client` (a boto3 S3 client:
    the validator knows no store of its own)."""
    text = os.fspath(target)
    if text.startswith("s3://"):
        bucket, _, key = text[5:].partition("/")
        if not bucket or not key:
            raise SourceError(f"{text}: expected s3://bucket/key")
        if s3_client is None:
            raise SourceError(f"{text}: no S3 client given to read it with")
        return S3Source(s3_client, bucket, key)
    return LocalSource(text)
