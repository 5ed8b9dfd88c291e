"""The `syndicate` command: `main` is its entry point (pyproject's [project.scripts])."""

from syndicate.cli.main import main

__all__ = ["main"]
