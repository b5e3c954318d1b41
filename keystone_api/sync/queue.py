"""The edge's sync queue: approved episodes wait here, in approval order, for the cloud."""

from __future__ import annotations

from sqlalchemy.orm import Session

from keystone_api.episodes import spot_checks
from keystone_api.episodes.models import Episode
from keystone_api.settings import Settings, SyncMode
from keystone_api.sync.models import EpisodeSync, SyncState


def enqueue_approved(
    session: Session, episode: Episode, settings: Settings
) -> EpisodeSync | None:
    """Called once an episode is approved: queued in auto mode, waiting for an operator in
    manual mode; None while a spot check holds it for an inspector (whose approval calls
    this again). Idempotent."""
    row = session.get(EpisodeSync, episode.id)
    if row is not None:
        return row
    if spot_checks.hold(session, settings, episode):
        return None
    assert episode.approved_at is not None
    state = SyncState.queued if settings.sync_mode == SyncMode.auto else SyncState.waiting
    row = EpisodeSync(
        episode_id=episode.id,
        state=state,
        approved_at=episode.approved_at,
        bytes_total=episode.mcap_size_bytes + episode.sidecar_size_bytes,
    )
    session.add(row)
    return row
