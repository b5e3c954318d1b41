"""Starting again after the last `keystone dev` stopped (or was killed): none of its
processes runs any more, so what they held on to is given back at once rather than when
it expires."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from keystone_api.db.engine import make_engine
from keystone_api.episodes.models import Episode, EpisodeStatus


def release_qa_claims(database_url: str) -> int:
    """QA claims of the previous session's runs (they would block those episodes for the
    claim's lease, 15 minutes)."""
    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            result = session.execute(
                update(Episode)
                .where(
                    Episode.status == EpisodeStatus.pending_qa,
                    Episode.qa_claim_token.is_not(None),
                )
                .values(qa_claim_token=None, qa_claimed_until=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
    finally:
        engine.dispose()
