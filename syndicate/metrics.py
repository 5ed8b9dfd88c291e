"""What the daemon counts, for Prometheus (`/metrics`). One registry per daemon, not global,
so tests and several daemons in one process do not mix their numbers."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.scans = Counter(
            "syndicate_scans", "Builds run, by trigger", ["trigger"], registry=self.registry
        )
        self.build_seconds = Histogram(
            "syndicate_build_seconds",
            "Time spent in one build",
            registry=self.registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.posts = Gauge("syndicate_posts", "Posts in the feeds (public)", registry=self.registry)
        self.feeds_written = Counter(
            "syndicate_feeds_written", "Feed files written", registry=self.registry
        )
        self.events = Counter(
            "syndicate_events",
            "Publication events recorded, by kind",
            ["kind"],
            registry=self.registry,
        )
        self.hub_pings = Counter(
            "syndicate_hub_pings",
            "WebSub hub pings, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.source_polls = Counter(
            "syndicate_source_polls",
            "Remote feed polls, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.http_responses = Counter(
            "syndicate_http_responses",
            "HTTP answers, by status",
            ["status"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "syndicate_deliveries",
            "Attempts to publish a post to an account, by result",
            ["account", "result"],
            registry=self.registry,
        )
        self.admin_failures = Counter(
            "syndicate_admin_token_failures",
            "Wrong admin tokens, by how they came (bearer, login)",
            ["via"],
            registry=self.registry,
        )
        self.admin_throttled = Counter(
            "syndicate_admin_token_throttled",
            "Token attempts refused unread because their client failed too often",
            ["via"],
            registry=self.registry,
        )
        self.errors = Counter(
            "syndicate_errors", "Errors, by where they happened", ["where"], registry=self.registry
        )
        self.last_scan = Gauge(
            "syndicate_last_successful_scan_timestamp_seconds",
            "When the last build that completed started (Unix time)",
            registry=self.registry,
        )
        # The mirror ([mirror] enabled): what it did to the bucket, and how far behind it is.
        self.mirror_operations = Counter(
            "syndicate_mirror_operations",
            "Objects the mirror uploaded to or deleted from its bucket, by outcome",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.mirror_pending = Gauge(
            "syndicate_mirror_pending",
            "Files the mirror's bucket does not yet hold as served (uploads and deletions)",
            registry=self.registry,
        )
        self.mirror_synced = Gauge(
            "syndicate_mirror_synced_timestamp_seconds",
            "When the mirror's bucket last held every file as served (Unix time)",
            registry=self.registry,
        )
        # A cluster's node ([cluster] enabled): does it own the blog, under which epoch, and
        # when did it last take in the feeds the owner stored.
        self.cluster_owner = Gauge(
            "syndicate_cluster_owner", "1 while this node owns the blog", registry=self.registry
        )
        self.cluster_epoch = Gauge(
            "syndicate_cluster_epoch",
            "The epoch of the owner lease this node last held (0: never)",
            registry=self.registry,
        )
        self.cluster_followed = Gauge(
            "syndicate_cluster_feeds_refreshed_timestamp_seconds",
            "When this node last refreshed its feeds from the ledger (Unix time)",
            registry=self.registry,
        )
