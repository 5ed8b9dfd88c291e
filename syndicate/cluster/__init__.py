"""Several `syndicate run` replicas on one PostgreSQL ledger (`[cluster] enabled = true`): their
sends handed out as procrastinate jobs, one account at a time cluster-wide (tasks.py), run by
a worker thread in each daemon (node.py). Imported only when the cluster is on: a SQLite node
never loads procrastinate."""
