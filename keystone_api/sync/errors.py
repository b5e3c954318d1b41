"""What can go wrong while sending an episode, and what the sender does about each.

transient (network, timeouts, 5xx, 429, the link's configuration): the episode keeps its
    place in the queue and is retried with backoff; the episodes approved after it wait
    (order preservation). The queue-depth alert ("check cloud connectivity") covers these.
permanent (bad edge data, a payload the receiver refuses, a bug on the edge): the episode
    becomes `failed` with the reason in last_error. It is NOT retried (retrying cannot fix
    it) and no longer holds back the queue; a person fixes the cause and re-queues it
    (POST /api/v1/sync/queue or .../resync). Counted apart from the queue, never as an
    outage.
restart: the cloud holds bytes that do not match; the next attempt uploads afresh.
"""

from __future__ import annotations

import httpx
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout


class SyncError(Exception):
    permanent = False
    restart = False
    http_status: int | None = None


class CloudUnavailable(SyncError):
    """Network error, timeout, 5xx, 429: the cloud side or the link is down."""


class EdgeObjectError(SyncError):
    """The edge copy is missing, or its bytes do not match the checksum recorded at landing,
    or its sidecar is not strict JSON."""

    permanent = True


class BadPayload(SyncError):
    """The delivery cannot be built from the edge's data (e.g. a value JSON cannot encode)."""

    permanent = True


class UnexpectedError(SyncError):
    """An exception no rule classifies: a bug or bad data on the edge, not the cloud. Not
    retried blindly: the traceback is logged and the reason shown until a person acts."""

    permanent = True


class EncryptionNotApplied(SyncError):
    """The cloud store accepted an object without the server-side encryption we asked for.

    Transient on purpose: it is a configuration fault of the whole link, so the queue stops
    (in order) until an operator fixes the store or sets KEYSTONE_CLOUD_S3_SSE="" knowingly.
    """


class CloudPartsDiffer(SyncError):
    """A resumed upload's parts in the cloud do not add up to the edge bytes (the store
    refused to complete it: its full-object CRC64NVME differs); the upload was aborted."""

    restart = True


class ReceiverRejected(SyncError):
    """The receiver refused the delivery (422 or another 4xx)."""

    def __init__(self, message: str, http_status: int, code: str = "", restart: bool = False):
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.restart = restart
        # Objects that do not match are re-uploaded. A refused payload needs a person; an
        # auth or routing answer (401, 403, 404) is the link's configuration: keep order.
        self.permanent = not restart and http_status in (400, 413, 422)


class ClaimLost(SyncError):
    """Another sender took the episode over (our claim expired): stop touching it."""


class NotConfigured(Exception):
    """A cloud setting the sender needs is missing; the message names it."""


# The infrastructure between the edge's data and the cloud: an error here says nothing
# about the episode, and the same attempt may work later. OSError covers sockets, SSL,
# timeouts and the edge store's connection; the edge database's lost connections and
# deadlocks are OperationalError and friends.
TRANSIENT = (
    OSError,
    MemoryError,
    BotoCoreError,
    ClientError,
    httpx.HTTPError,
    OperationalError,
    InterfaceError,
    DisconnectionError,
    PoolTimeout,
)


def classify(exc: BaseException) -> SyncError:
    """The SyncError an exception of an attempt stands for."""
    if isinstance(exc, SyncError):
        return exc
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, TRANSIENT) or (isinstance(exc, RuntimeError) and "shutdown" in str(exc)):
        return CloudUnavailable(text)  # a pool shutting down with the process: try again
    return UnexpectedError(f"unexpected error on the edge (not a cloud outage): {text}")
