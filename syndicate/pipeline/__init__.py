"""The build pipeline: posts on disk → ledger → feed files."""
