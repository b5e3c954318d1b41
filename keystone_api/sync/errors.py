"""What can go wrong while sending an episode, and what the sender does about each.

transient (the default): the episode keeps its place in the queue and is retried with
    backoff; the episodes approved after it wait (order preservation).
permanent: the episode becomes `failed`, is still retried with the capped backoff, and no
    longer holds back the queue; its last_error tells the operator why.
restart: the cloud holds bytes that do not match; the next attempt uploads afresh.
"""

from __future__ import annotations


class SyncError(Exception):
    permanent = False
    restart = False
    http_status: int | None = None


class CloudUnavailable(SyncError):
    """Network error, timeout, 5xx, 429: the cloud side or the link is down."""


class EdgeObjectError(SyncError):
    """The edge copy is missing, or its bytes do not match the checksum recorded at landing."""

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
