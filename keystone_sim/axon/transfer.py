"""The Axon transfer daemon's side of the transfer WebSocket (axon-protocol.md section 4):
it reports itself, uploads a task's MCAP then its sidecar (last) to the object store with
`x-amz-meta-checksum-sha256`, reports `upload_complete`, and keeps the files until the
server's `upload_ack` (repeating the ids it waits on in every `status`)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from websockets.asyncio.client import ClientConnection

from keystone_sim.axon.faults import Faults
from keystone_sim.axon.s3 import S3Target, upload_pair
from keystone_sim.axon.wsclient import Backoff, Dialer
from keystone_sim.recording import file_sha256

log = logging.getLogger("keystone_sim.axon")
VERSION = "0.1.0"


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Upload:
    task_id: str
    status: str = "pending"  # pending | uploading | waiting_ack | completed | failed
    s3_key: str = ""
    file_size_bytes: int = 0
    checksum_sha256: str = ""
    retry_count: int = 0
    last_error: str | None = None
    complete_sent_at: float | None = None  # monotonic, for the ACK latency
    mode: str = "mcap_json"  # upload_mode

    def report(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "status": self.status,
            "s3_key": self.s3_key,
            "object_key": self.s3_key,
            "file_size_bytes": self.file_size_bytes,
            "checksum_sha256": self.checksum_sha256,
            "upload_mode": self.mode,
            "retry_count": self.retry_count,
            "next_retry_at": None,
            "last_error": self.last_error,
        }


@dataclass
class TransferDaemon:
    device_id: str
    factory_id: str
    url: str  # transfer_ws_url; "/{device_id}" is appended
    data_dir: Path
    s3: S3Target
    faults: Faults = field(default_factory=Faults)
    backoff: Backoff = field(default_factory=Backoff)
    status_interval_s: float = 30.0
    # "mcap_json" (MCAP, then its sidecar) or "mcap_only" (the daemon's setting with
    # require_json_sidecar: false): the MCAP alone, its facts in its axon.* metadata.
    upload_mode: str = "mcap_json"
    uploads: dict[str, Upload] = field(default_factory=dict)
    acked: dict[str, float] = field(default_factory=dict)  # task id -> ACK latency (s)
    not_found: list[str] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _conn: ClientConnection | None = None
    _send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _work: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    _ack_waiters: dict[str, asyncio.Event] = field(default_factory=dict)

    def __post_init__(self) -> None:
        url = f"{self.url.rstrip('/')}/{self.device_id}"
        self.dialer = Dialer(f"transfer {self.device_id}", url, {}, self.backoff)

    async def run(self) -> None:
        worker = asyncio.ensure_future(self._worker())
        try:
            await self.dialer.run(self._session, self._stop)
        finally:
            worker.cancel()

    async def stop(self) -> None:
        self._stop.set()
        await self.dialer.drop()

    async def wait_acked(self, task_id: str, timeout: float) -> float:
        """Wait for the server's upload_ack of a task; returns the ACK latency."""
        if task_id not in self.acked:
            event = self._ack_waiters.setdefault(task_id, asyncio.Event())
            await asyncio.wait_for(event.wait(), timeout)
        return self.acked[task_id]

    # -- the socket ---------------------------------------------------------------------

    async def _session(self, conn: ClientConnection) -> None:
        self._conn = conn
        ticker = asyncio.ensure_future(self._status_loop())
        try:
            await self._report("connected")
            async for raw in conn:
                await self._on_frame(raw)
        finally:
            ticker.cancel()
            self._conn = None

    async def _send(self, kind: str, fields: dict[str, Any]) -> bool:
        conn = self._conn
        if conn is None:
            return False
        message: dict[str, Any] = {"type": kind, "timestamp": _timestamp()}
        if self.faults.top_level_fields:
            message.update(fields)
        else:
            message["data"] = fields
        try:
            async with self._send_lock:
                await conn.send(json.dumps(message))
            return True
        except Exception:  # noqa: BLE001 - the socket went away: status repeats what matters
            return False

    def status(self) -> dict[str, Any]:
        by = [u.status for u in self.uploads.values()]
        waiting = [u.task_id for u in self.uploads.values() if u.status == "waiting_ack"]
        return {
            "version": VERSION,
            "device_id": self.device_id,
            "pending_count": by.count("pending"),
            "active_count": by.count("uploading"),
            "uploading_count": by.count("uploading"),
            "retry_wait_count": 0,
            "waiting_ack_count": len(waiting),
            "waiting_ack_task_ids": waiting,
            "completed_count": by.count("completed"),
            "failed_count": by.count("failed"),
            "pending_bytes": sum(
                u.file_size_bytes for u in self.uploads.values() if u.status == "pending"
            ),
            "bytes_per_sec": 0,
            "uploads": [u.report() for u in self.uploads.values() if u.status != "completed"],
        }

    async def _report(self, kind: str = "status") -> None:
        await self._send(kind, self.status())

    async def _status_loop(self) -> None:
        while True:
            await asyncio.sleep(self.status_interval_s)
            await self._report()

    async def _on_frame(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        kind = message.get("type") if isinstance(message, dict) else None
        task_id = message.get("task_id") if isinstance(message, dict) else None
        if kind == "upload_request" and isinstance(task_id, str):
            if self.faults.ignore_upload_requests > 0:
                self.faults.ignore_upload_requests -= 1
                return
            await self._requested(task_id)
        elif kind == "upload_ack" and isinstance(task_id, str):
            self._acknowledged(task_id)
        elif kind == "upload_all":
            for path in sorted(self.data_dir.glob("*.mcap")):
                await self._requested(path.stem)
        elif kind == "status_query":
            await self._report()

    async def _requested(self, task_id: str) -> None:
        upload = self.uploads.get(task_id)
        if upload is not None and upload.status == "waiting_ack":
            await self._complete(upload)  # the server lost our report: say it again
            return
        if upload is not None and upload.status in ("pending", "uploading"):
            return  # already on it
        mcap = self.data_dir / f"{task_id}.mcap"
        sidecar = self.data_dir / f"{task_id}.json"
        if not mcap.exists() or (self.upload_mode == "mcap_json" and not sidecar.exists()):
            self.not_found.append(task_id)
            detail = f"No MCAP file matching {task_id} in {self.data_dir}"
            await self._send("upload_not_found", {"task_id": task_id, "detail": detail})
            return
        upload = Upload(task_id, file_size_bytes=mcap.stat().st_size, mode=self.upload_mode)
        self.uploads[task_id] = upload
        await self._work.put(task_id)

    def _acknowledged(self, task_id: str) -> None:
        upload = self.uploads.get(task_id)
        if upload is None or upload.status != "waiting_ack":
            return  # a repeated ACK
        upload.status = "completed"
        if upload.complete_sent_at is not None:
            self.acked[task_id] = time.monotonic() - upload.complete_sent_at
        else:
            self.acked[task_id] = 0.0
        # Only now are the local files deleted: the pair it uploaded (the recorder's
        # `.mcap.done` marker stays, as the real daemon leaves it).
        for suffix in (".mcap", ".json"):
            (self.data_dir / f"{task_id}{suffix}").unlink(missing_ok=True)
        if (event := self._ack_waiters.pop(task_id, None)) is not None:
            event.set()

    # -- the uploads ----------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            task_id = await self._work.get()
            upload = self.uploads[task_id]
            try:
                await self._upload(upload)
            except Exception as exc:  # noqa: BLE001 - reported; the server decides
                upload.status, upload.last_error = "failed", str(exc)
                upload.retry_count += 1
                await self._send(
                    "upload_failed",
                    {
                        "task_id": task_id,
                        "reason": str(exc),
                        "retry_count": upload.retry_count,
                        "next_retry_at": None,
                    },
                )

    async def _upload(self, upload: Upload) -> None:
        task_id = upload.task_id
        mcap = self.data_dir / f"{task_id}.mcap"
        sidecar: Path | None = self.data_dir / f"{task_id}.json"
        if upload.mode == "mcap_only":
            sidecar = None
        files = [p for p in (mcap, sidecar) if p is not None]
        upload.status = "uploading"
        upload.checksum_sha256 = await asyncio.to_thread(file_sha256, mcap)
        day = datetime.now(UTC).strftime("%Y-%m-%d")  # the UTC date the upload was queued
        upload.s3_key = f"{self.factory_id}/{self.device_id}/{day}/{task_id}.mcap"
        await self._send(
            "upload_started",
            {
                "task_id": task_id,
                "files": [p.name for p in files],
                "total_bytes": sum(p.stat().st_size for p in files),
                "file_size_bytes": upload.file_size_bytes,
                "checksum_sha256": upload.checksum_sha256,
                "upload_mode": upload.mode,
                "s3_key": upload.s3_key,
                "object_key": upload.s3_key,
            },
        )
        metadata_sha = upload.checksum_sha256
        if self.faults.bad_checksum:
            metadata_sha = "0" * 64  # what a corrupted read would have hashed
            upload.checksum_sha256 = metadata_sha
        if self.faults.fail_uploads > 0:
            self.faults.fail_uploads -= 1
            raise RuntimeError("emulated S3 failure: connection reset by peer")
        await asyncio.to_thread(upload_pair, self.s3, mcap, sidecar, upload.s3_key, metadata_sha)
        upload.status = "waiting_ack"  # from here on it is listed in waiting_ack_task_ids
        if self.faults.hold_uploads is not None:
            await self.faults.hold_uploads.wait()
            if upload.status != "waiting_ack":
                return  # ACKed meanwhile (the server verified it from a status report)
        await self._complete(upload)
        if self.faults.duplicate_complete:
            await self._complete(upload)

    async def _complete(self, upload: Upload) -> None:
        fields: dict[str, Any] = {
            "task_id": upload.task_id,
            # The real daemon sends 0 for both (axon upload_coordinator.cpp): a server must
            # take sizes from file_size_bytes and the store, never from these.
            "bytes_uploaded": 0,
            "duration_ms": 0,
            # Its upload record's state, as the daemon's state database names it.
            "status": "uploaded_wait_ack",
            "file_size_bytes": upload.file_size_bytes,
            "checksum_sha256": upload.checksum_sha256,
            "upload_mode": upload.mode,
        }
        if not self.faults.omit_object_key:
            fields["s3_key"] = fields["object_key"] = upload.s3_key
        if await self._send("upload_complete", fields) and upload.complete_sent_at is None:
            upload.complete_sent_at = time.monotonic()
