"""The `syndicate` command: `main` is its entry point (pyproject's [project.scripts])."""

import os

# pydantic looks for plugins among every installed distribution's entry points the first time
# a model is made: 20-40 ms of each command's start on a machine with a few hundred packages,
# for plugins syndicate does not use. An operator who wants one sets the variable to "".
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from syndicate.cli.main import main

__all__ = ["main"]
