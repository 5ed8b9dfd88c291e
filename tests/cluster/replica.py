"""One replica's publishing, as `syndicate run` wires it with `[cluster] enabled = true`, in a
process of its own that a test can SIGKILL: `python -m tests.cluster.replica CONFIG`.

Its workers count as gone after QUICK's seconds of silence (procrastinate's default is 30), so
a test sees another replica close a killed one's job, and send for its account, within a few
seconds.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

from syndicate.clock import SystemClock
from syndicate.cluster.node import ClusterPublisher
from syndicate.cluster.tasks import Liveness
from syndicate.config import load_settings
from syndicate.publish.opening import make_dispatcher
from syndicate.store.ledger import Ledger

QUICK = Liveness(heartbeat=0.5, stalled=2.0)


def main(config: Path) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings(config)
    ledger = Ledger.open(settings.store_url)
    dispatcher = make_dispatcher(settings, ledger, None, SystemClock())  # no shared cache file
    publisher = ClusterPublisher(
        dispatcher, settings.jobs_url, blog=settings.blog_name, liveness=QUICK
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    publisher.start()
    print("ready", flush=True)
    stop.wait()
    publisher.stop()
    ledger.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
