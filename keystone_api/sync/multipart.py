"""Multipart copy of a large object, resumable after the sender dies (see transfer.py).

Checksums: each part carries x-amz-checksum-crc64nvme (the store refuses a part whose bytes
do not match) and the upload is a FULL_OBJECT one: the store combines the parts' CRCs into
the whole object's CRC64NVME, and refuses to complete when it differs from the one computed
here as the bytes passed. CRC64NVME rather than SHA-256 per part: hardware CRC costs ~0.05
CPU-s per GB on each side where SHA-256 costs ~0.85, and only a CRC type gives a stored
full-object checksum for a multipart object. The SHA-256 of the whole is computed here too
and must equal the recording's, or the upload is aborted before it completes.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any

from awscrt.checksums import combine_crc64nvme, crc64nvme
from botocore.client import BaseClient
from botocore.exceptions import BotoCoreError, ClientError

from keystone_api.storage.s3 import head_or_none
from keystone_api.sync.errors import CloudPartsDiffer
from keystone_api.sync.objects import (
    CHECKSUM_META,
    CopyResult,
    PartBudget,
    Source,
    already_in_cloud,
    check_sse,
    crc64_b64,
    mismatch,
    open_source,
    read_exactly,
    sse_args,
)

log = logging.getLogger("keystone.sync")


class MultipartCopy:
    def __init__(
        self,
        edge: BaseClient,
        cloud: BaseClient,
        src: Source,
        bucket: str,
        key: str,
        budget: PartBudget,
        part_size: int,
        sse: str,
        on_progress: Callable[[int], None],
        priority: float = 0.0,
    ) -> None:
        self.edge, self.cloud, self.src = edge, cloud, src
        self.priority = priority
        self.bucket, self.key, self.budget = bucket, key, budget
        self.part_size, self.sse, self.on_progress = part_size, sse, on_progress
        self.transferred = 0
        self._lock = threading.Lock()

    def _existing_parts(self, upload_id: str) -> dict[int, dict[str, Any]] | None:
        """Parts already uploaded, or None when the upload is gone (completed or aborted)."""
        parts: dict[int, dict[str, Any]] = {}
        marker = 0
        while True:
            try:
                page = self.cloud.list_parts(
                    Bucket=self.bucket, Key=self.key, UploadId=upload_id, PartNumberMarker=marker
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
                    return None
                raise
            for p in page.get("Parts", []):
                parts[int(p["PartNumber"])] = p
            if not page.get("IsTruncated"):
                return parts
            marker = int(page["NextPartNumberMarker"])

    def run(
        self, upload_id: str | None, content_type: str, on_upload_id: Callable[[str | None], None]
    ) -> CopyResult:
        existing = self._existing_parts(upload_id) if upload_id else None
        if upload_id is None or existing is None:
            upload_id = self.cloud.create_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                ChecksumAlgorithm="CRC64NVME",
                ChecksumType="FULL_OBJECT",
                Metadata={CHECKSUM_META: self.src.sha256},
                ContentType=content_type,
                **sse_args(self.sse),
            )["UploadId"]
            existing = {}
            on_upload_id(upload_id)  # persisted before the first part goes
        parts, full, crc = self._send_parts(upload_id, existing)
        if full != self.src.sha256:
            self._abort(upload_id, on_upload_id)
            raise mismatch(self.src, full)
        self._complete(upload_id, parts, crc, on_upload_id)
        self._abort_orphans(keep=upload_id)
        head = head_or_none(self.cloud, self.bucket, self.key) or {}
        check_sse(head, self.sse, self.key)
        return CopyResult(
            self.src.sha256, self.src.size, self.transferred, multipart=True, crc64nvme=crc
        )

    def _abort(self, upload_id: str, on_upload_id: Callable[[str | None], None]) -> None:
        self.cloud.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
        on_upload_id(None)

    def _send_parts(
        self, upload_id: str, existing: dict[int, dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], str, str]:
        """(parts, SHA-256 hex, CRC64NVME base64) of the bytes read from the edge."""
        body = open_source(self.edge, self.src)
        full = hashlib.sha256()
        crc = 0
        futures: list[Future[dict[str, Any]]] = []
        count = math.ceil(self.src.size / self.part_size)
        try:
            for number in range(1, count + 1):
                length = min(self.part_size, self.src.size - (number - 1) * self.part_size)
                self.budget.acquire(self.priority)  # before reading: bounds the bytes held
                try:
                    data = read_exactly(body, length)
                except BaseException:
                    self.budget.release()
                    raise
                full.update(data)
                # One CRC pass per part; the whole object's is combined from the parts'.
                part_crc = crc64nvme(data)
                crc = combine_crc64nvme(crc, part_crc, len(data))
                futures.append(
                    self.budget.pool.submit(
                        self._part,
                        upload_id,
                        number,
                        data,
                        crc64_b64(part_crc),
                        existing.get(number),
                    )
                )
                if any(f.done() and f.exception() for f in futures):
                    break
        except BaseException:
            wait(futures)  # no part of this attempt may still be in flight when it returns
            raise
        finally:
            body.close()
        parts = [f.result() for f in futures]  # raises the first part's error
        return parts, full.hexdigest(), crc64_b64(crc)

    def _part(
        self,
        upload_id: str,
        number: int,
        data: bytes,
        checksum: str,
        have: dict[str, Any] | None,
    ) -> dict[str, Any]:
        try:
            if have is not None and int(have.get("Size", -1)) == len(data):
                # Resumed: already there. Its bytes are proved at completion, when the
                # store's CRC of all parts must equal ours of the edge bytes.
                etag = have["ETag"]
            else:
                etag = self.cloud.upload_part(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=data,
                    ChecksumCRC64NVME=checksum,
                )["ETag"]
                with self._lock:
                    self.transferred += len(data)
            self.on_progress(len(data))
            return {"PartNumber": number, "ETag": etag, "ChecksumCRC64NVME": checksum}
        finally:
            self.budget.release()

    def _complete(
        self,
        upload_id: str,
        parts: list[dict[str, Any]],
        crc: str,
        on_upload_id: Callable[[str | None], None],
    ) -> None:
        try:
            self.cloud.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                ChecksumCRC64NVME=crc,
                ChecksumType="FULL_OBJECT",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("BadDigest", "InvalidPart"):
                # Parts left by an earlier attempt are not the edge bytes: start afresh.
                self._abort(upload_id, on_upload_id)
                raise CloudPartsDiffer(
                    f"cloud parts of {self.key} do not match the edge object ({code}); "
                    "the upload was aborted and starts again"
                ) from None
            # A sender that died after completing leaves an id that no longer exists; the
            # object is then there, whole, under its content-addressed key.
            if code != "NoSuchUpload" or not already_in_cloud(
                self.cloud, self.bucket, self.key, self.src, self.sse
            ):
                raise

    def _abort_orphans(self, keep: str) -> None:
        """Abort the key's other uploads: a CreateMultipartUpload whose answer was lost (the
        store made it, the sender retried) leaves one behind, holding storage. Safe: one
        claim per episode, and the key is content-addressed. Best effort; a bucket
        lifecycle rule (AbortIncompleteMultipartUpload) is the backstop."""
        try:
            listed = self.cloud.list_multipart_uploads(Bucket=self.bucket, Prefix=self.key)
            for upload in listed.get("Uploads", []):
                if upload["Key"] == self.key and upload["UploadId"] != keep:
                    self.cloud.abort_multipart_upload(
                        Bucket=self.bucket, Key=self.key, UploadId=upload["UploadId"]
                    )
        except (ClientError, BotoCoreError) as exc:
            log.warning("could not abort stale uploads of %s: %s", self.key, exc)
