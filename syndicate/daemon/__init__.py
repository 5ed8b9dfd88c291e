"""`syndicate run`: the daemon. `service.Daemon` wires the parts; each background job is a
`worker.Worker` (the build loop, hub pings, source polls, outbox passes)."""
