"""The owner's inbox reader takes every waiting poll in, whatever order the polls commit in.
Two nodes' poll jobs commit in either order, so a poll can appear after a later-numbered one;
a reader that only looked past the last id it had handed on skipped such a poll for good
(bench/intake.py found it: one poll of 6,000 left waiting, its new entry never stored)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy

from syndicate.clock import SystemClock
from syndicate.daemon.inbox_reader import InboxReader
from syndicate.pipeline.remote_entries import RemoteBatch, batch_to_json, source_prefix
from syndicate.store.inbox import PollInbox
from syndicate.store.ledger import Ledger
from tests.conftest import Blog
from tests.test_daemon import wait_for


def batch(source: str) -> str:
    return batch_to_json(RemoteBatch(source, source_prefix(source), (), "{}"))


def test_a_poll_committed_after_a_later_numbered_one_is_still_taken_in(
    cluster_blog: Blog,
) -> None:
    ledger = Ledger.open(cluster_blog.store_url)
    inbox = PollInbox(ledger.database)
    delivered: list[str] = []
    reader = InboxReader(inbox, lambda b: delivered.append(b.name), SystemClock())
    engine = sqlalchemy.create_engine(cluster_blog.store_url)
    try:
        with engine.connect() as slow:  # one node's poll: its id drawn, its commit late
            slow.execute(
                sqlalchemy.text(
                    "INSERT INTO remote_inbox (source, state, batch) VALUES ('early', '{}', :b)"
                ),
                {"b": batch("early")},
            )
            due = datetime.now(UTC) + timedelta(hours=1)
            inbox.put("late", "b.test", "{}", batch("late"), due)  # another's, committed first
            reader.start()
            wait_for(lambda: delivered == ["late"], "the committed poll")
            slow.commit()
        wait_for(lambda: delivered == ["late", "early"], "the poll committed after it")
        assert sorted(w.source for w in inbox.waiting()) == ["early", "late"]
        assert inbox.waiting_ids() == sorted(w.id for w in inbox.waiting())
    finally:
        reader.stop()
        engine.dispose()
        ledger.close()
