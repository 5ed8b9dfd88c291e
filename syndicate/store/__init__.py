"""What syndicate remembers between runs.

The *ledger* (a SQLAlchemy database, SQLite by default) holds state that must never be lost:
each post's permanent id, when it was first seen, its `updated` time, and what each feed file
last contained. The *render cache* (a local SQLite file) holds what can be recomputed: rendered
HTML and the text each post's significance check compares against.
"""
