"""The outbox as people and scripts read it: `syndicate outbox [--json]` and `status`."""

from __future__ import annotations

from syndicate.model import Delivery
from syndicate.publish.dispatch import Dispatcher

_ORDER = ("sending", "scheduled", "pending", "paused", "failed", "sent", "skipped")
_SHOWN_SENT = 20  # the newest sent and skipped; the rest are in --json


def collect(dispatcher: Dispatcher, account: str | None = None) -> dict[str, object]:
    deliveries = dispatcher.outbox.select(account=account)
    titles = {
        pk: r.post.title
        for pk, r in dispatcher.ledger.records_of(d.post_pk for d in deliveries).items()
    }
    states = dispatcher.outbox.accounts()
    accounts = [
        {
            "name": a.name,
            "network": a.network,
            "enabled": a.enabled,
            "paused": bool(states.get(a.name) and states[a.name].paused),
            "reason": states[a.name].reason if a.name in states else None,
            "rate_limited_until": _iso(states[a.name].not_before) if a.name in states else None,
        }
        for a in dispatcher.settings.accounts
        if account is None or a.name == account
    ]
    counts = {s: sum(d.status == s for d in deliveries) for s in _ORDER}
    rows = _ordered(deliveries)
    return {
        "dry_run": dispatcher.settings.publish.dry_run,
        "accounts": accounts,
        "counts": counts,
        "deliveries": [_row(d, titles.get(d.post_pk, d.entry_id)) for d in rows],
    }


def render(view: dict[str, object]) -> str:
    lines: list[str] = []
    accounts = view["accounts"]
    assert isinstance(accounts, list)
    for account in accounts:
        state = "paused: " + str(account["reason"]) if account["paused"] else "active"
        if not account["enabled"]:
            state = "disabled"
        if account["rate_limited_until"]:
            state += f", rate limited until {account['rate_limited_until']}"
        lines.append(f"{account['name']} ({account['network']}): {state}")
    if not accounts:
        lines.append("no accounts configured: add [[accounts]] tables to the config")
    counts = view["counts"]
    assert isinstance(counts, dict)
    lines.append(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "the outbox is empty")
    deliveries = view["deliveries"]
    assert isinstance(deliveries, list)
    finished = 0
    for row in deliveries:
        if row["status"] in ("sent", "skipped"):
            finished += 1
            if finished > _SHOWN_SENT:
                continue
        lines.append(_line(row))
    if finished > _SHOWN_SENT:
        lines.append(f"... and {finished - _SHOWN_SENT} more sent or skipped (--json lists all)")
    if view["dry_run"]:
        lines.append("publish.dry_run is on: nothing is sent")
    return "\n".join(lines)


def _line(row: dict[str, object]) -> str:
    status = str(row["status"])
    head = f"#{row['id']:<5} {status:<9} {row['account']:<14} {row['title']}"
    if status in ("scheduled", "pending", "sending") and row["due"]:
        return f"{head}\n        due {row['due']}"
    if status == "sent":
        return f"{head}\n        {row['remote_url'] or row['remote_id']} at {row['sent_at']}"
    if row["last_error"]:
        return f"{head}\n        {row['last_error']}"
    return head


def _row(delivery: Delivery, title: str) -> dict[str, object]:
    return {
        "id": delivery.id,
        "account": delivery.account,
        "post": delivery.entry_id,
        "title": title,
        "status": str(delivery.status),
        "due": _iso(delivery.due),
        "attempts": delivery.attempts,
        "text": delivery.text,
        "remote_id": delivery.remote_id,
        "remote_url": delivery.remote_url,
        "sent_at": _iso(delivery.sent_at),
        "last_error": delivery.last_error,
    }


def _ordered(deliveries: list[Delivery]) -> list[Delivery]:
    """By status as _ORDER lists them; queued ones soonest first, finished ones newest first."""
    rows: list[Delivery] = []
    for rank, status in enumerate(_ORDER):
        group = [d for d in deliveries if d.status == status]
        group.sort(key=lambda d: (d.due or d.sent_at or d.updated, d.id), reverse=rank >= 5)
        rows += group
    return rows


def _iso(moment: object) -> str | None:
    return moment.isoformat(timespec="seconds") if hasattr(moment, "isoformat") else None
