"""Publishing posts to social networks: composing, routing, timing, the outbox, publishers."""
