"""Real WebSub peers for tests: Flask-WebSub's hub and subscriber, served on 127.0.0.1."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from celery import Celery
from flask import Flask
from flask_websub.hub import Hub, SQLite3HubStorage
from flask_websub.subscriber import (
    SQLite3SubscriberStorage,
    SQLite3TempSubscriberStorage,
    Subscriber,
)
from werkzeug.serving import make_server

from tests.peers.threads import serving

POLL = 0.01  # seconds between a server's checks for shutdown: stopping one takes this long


@contextmanager
def wsgi(app: Flask) -> Iterator[str]:
    """Serve `app` with werkzeug on 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    with serving(server, poll=POLL):
        yield f"http://127.0.0.1:{server.server_port}"


def hub_app(database: Path) -> Flask:
    """Flask-WebSub's hub: Celery runs its tasks inline, so a ping is delivered before the hub
    answers it, and a task's failure becomes the hub's 500 instead of vanishing."""
    celery = Celery("websub-hub", broker="memory://")
    celery.conf.update(task_always_eager=True, task_eager_propagates=True)
    hub = Hub(SQLite3HubStorage(str(database)), celery, REQUEST_TIMEOUT=5)
    app = Flask("websub-hub")
    # Read from the app's config, not the Hub's (unlike the Hub's other settings).
    app.config["PUBLISH_SUPPORTED"] = True
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))
    return app


class Reader:
    """Flask-WebSub's subscriber: verifies intent, and queues what the hub delivers."""

    def __init__(self, database: Path) -> None:
        self.subscriber = Subscriber(
            SQLite3SubscriberStorage(str(database)), SQLite3TempSubscriberStorage(str(database))
        )
        self.received: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.subscriber.add_listener(self._on_content)
        self.app = Flask("websub-subscriber")
        self.app.register_blueprint(self.subscriber.build_blueprint(url_prefix="/callback"))

    def _on_content(self, topic: str, callback_id: str, body: bytes) -> None:
        self.received.put((topic, body))

    def subscribe(self, base: str, topic: str, hub: str) -> str:
        # The callback URL is made with url_for(_external=True): it needs the server's name.
        self.app.config["SERVER_NAME"] = base.removeprefix("http://")
        with self.app.app_context():
            return cast(str, self.subscriber.subscribe(topic_url=topic, hub_url=hub))

    def active(self, callback_id: str) -> dict[str, object]:
        return cast(dict[str, object], self.subscriber.storage[callback_id])
