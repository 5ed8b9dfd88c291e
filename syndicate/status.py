"""`syndicate status`: what the ledger says — posts, feeds, sources, events, the last build and
recent errors. It reads the ledger only, so it works whether or not the daemon runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from syndicate.config import Settings
from syndicate.plural import counted
from syndicate.store import migrations, tallies
from syndicate.store.database import Database

if TYPE_CHECKING:  # a cluster's alone: imported when it is on
    from syndicate.store.nodes import NodeBeat

SILENT_AFTER = 2.0  # leases: a node not seen for this long is reported silent (dead or frozen)


def collect(settings: Settings) -> dict[str, Any]:
    db = Database(settings.store_url)  # as Ledger.open opens it, without importing the ledger
    try:
        migrations.upgrade(db)
        posts = tallies.posts(db)  # counted by the database: no post read
        feeds = tallies.feeds(db)
        by_kind, last_event = tallies.events(db)
        state = tallies.state(db)
        sources = tallies.source_states(db)
        deliveries = tallies.deliveries(db)
        pauses = tallies.pauses(db)
        cluster = _cluster(settings, db, datetime.now(UTC))
    finally:
        db.close()
    return {
        "posts": {
            "known": posts.known,
            "present": posts.present,
            "public": posts.public,
            "remote": posts.remote,
        },
        "feeds": {
            "files": feeds.files,
            "bytes": feeds.bytes,
            "not_yet_pinged": feeds.unpinged if settings.feeds.hubs else 0,
        },
        "events": {
            "total": sum(by_kind.values()),
            "by_kind": by_kind,
            "last": last_event.isoformat() if last_event else None,
        },
        "sources": {
            source.name: {"url": source.url, **json.loads(sources.get(source.name, "{}"))}
            for source in settings.sources
        },
        "accounts": {
            a.name: {
                "network": a.network,
                "paused": a.name in pauses and pauses[a.name].paused,
                "reason": pauses[a.name].reason if a.name in pauses else None,
            }
            for a in settings.accounts
        },
        "deliveries": deliveries,
        "last_build": json.loads(state["last_build"]) if "last_build" in state else None,
        "last_errors": json.loads(state.get("last_errors", "[]")),
        "output": str(settings.output_dir),
        "ledger": _without_password(settings.store_url),
        "cluster": cluster,
    }


def _cluster(settings: Settings, database: Database, now: datetime) -> dict[str, Any] | None:
    """Who owns the blog and until when, the nodes serving it, and its job queue."""
    if not settings.cluster.enabled:
        return None
    from syndicate.store.nodes import Nodes
    from syndicate.store.ownership import Ownership

    lease = Ownership(database, settings.blog_name).holder()
    silent_after = settings.cluster.lease_seconds * SILENT_AFTER
    return {
        "blog": settings.blog_name,
        "owner": lease.owner if lease else None,
        "epoch": lease.epoch if lease else 0,
        "lease_until": lease.until.isoformat() if lease else None,
        "lease_expired": lease is None or lease.until <= now,
        "nodes": [
            _node(beat, now, silent_after) for beat in Nodes(database, settings.blog_name).listed()
        ],
        "jobs": _jobs(settings.jobs_url, settings.blog_name),
    }


def _node(beat: NodeBeat, now: datetime, silent_after: float) -> dict[str, Any]:
    ago = (now - beat.seen).total_seconds()
    return {
        "node": beat.node,
        "host": beat.host,
        "pid": beat.pid,
        "version": beat.version,
        "started": beat.started.isoformat(),
        "seen": beat.seen.isoformat(),
        "seen_seconds_ago": round(max(ago, 0.0), 1),
        "silent": ago > silent_after,
    }


def _jobs(jobs_url: str, blog: str) -> dict[str, dict[str, int]]:
    """The blog's procrastinate jobs by queue (its sends', its polls') and status; none before
    a node has started its workers."""
    from syndicate.cluster.tasks import polls_queue_of, queue_of  # a cluster's alone

    queues = {"sends": queue_of(blog), "polls": polls_queue_of(blog)}
    counts: dict[str, dict[str, int]] = {name: {} for name in queues}
    database = Database(jobs_url)
    try:
        return _counted(database, queues, counts)
    finally:
        database.close()


def _counted(
    database: Database, queues: dict[str, str], counts: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    with database.reading() as cursor:
        cursor.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
        found = cursor.fetchone()
        if not (found and found[0]):
            return counts
        for name, queue in queues.items():
            cursor.execute(
                database.statement(
                    "SELECT status, count(*) FROM procrastinate_jobs "
                    "WHERE queue_name = :queue GROUP BY status"
                ),
                {"queue": queue},
            )
            counts[name] = {str(status): int(n) for status, n in cursor.fetchall()}
    return counts


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def render(report: dict[str, Any]) -> str:
    posts, feeds, events = report["posts"], report["feeds"], report["events"]
    lines = [
        f"posts:   {posts['public']} public of {posts['present']} present "
        f"({posts['known']} ever seen, {posts['remote']} from remote sources)",
        f"feeds:   {feeds['files']} files, {feeds['bytes']:,} bytes in {report['output']}",
        f"events:  {events['total']} "
        + (", ".join(f"{k} {v}" for k, v in sorted(events["by_kind"].items())) or "(none)"),
    ]
    if feeds["not_yet_pinged"]:
        lines.append(f"hubs:    {feeds['not_yet_pinged']} feed files not yet announced to hubs")
    build = report["last_build"]
    if build:
        lines.append(
            f"built:   {build['at']} ({build['trigger']}) in {build['seconds']} s: "
            f"{counted(build['written'], 'file')} written, "
            f"{counted(len(build['errors']), 'post')} with errors"
        )
    else:
        lines.append("built:   never (run `syndicate build` or `syndicate run`)")
    for name, source in report["sources"].items():
        state = source.get("last_error") or source.get("last_ok") or "never polled"
        lines.append(f"source:  {name} {source['url']} — {state}")
    for name, account in report["accounts"].items():
        state = f"paused: {account['reason']}" if account["paused"] else "active"
        lines.append(f"account: {name} ({account['network']}) {state}")
    if report["deliveries"]:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(report["deliveries"].items()))
        lines.append(f"outbox:  {counts} (`syndicate outbox` lists them)")
    cluster = report["cluster"]
    if cluster:
        held = "expired" if cluster["lease_expired"] else f"until {cluster['lease_until']}"
        owner = cluster["owner"] or "nobody yet"
        lines.append(
            f"cluster: {cluster['blog']} owned by {owner} (epoch {cluster['epoch']}, {held})"
        )
        lines += [_node_line(node, owner) for node in cluster["nodes"]]
        queues = [
            f"{name}: " + (", ".join(f"{k} {v}" for k, v in sorted(jobs.items())) or "none")
            for name, jobs in cluster["jobs"].items()
        ]
        lines.append(f"jobs:    {'; '.join(queues)}")
    lines += [f"error:   {e['at']} {e['error']}" for e in report["last_errors"][:5]]
    return "\n".join(lines)


def _node_line(node: dict[str, Any], owner: str) -> str:
    role = "owner" if node["node"] == owner else "replica"
    health = "SILENT" if node["silent"] else "alive"
    return (
        f"node:    {node['node']} ({role}, {health}; seen {node['seen_seconds_ago']} s ago; "
        f"{node['host']} pid {node['pid']}, syndicate {node['version']}, "
        f"since {node['started']})"
    )
