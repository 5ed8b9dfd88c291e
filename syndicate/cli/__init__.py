"""The `syndicate` command: `entry` is the process's entry point (pyproject's
[project.scripts], `python -m syndicate`); `main` is the click group, for tests and callers
that stay in one process."""

import os
import sys

# pydantic (the admin API's models, in the daemon) looks for plugins among every installed
# distribution's entry points the first time a model is made: 20-40 ms on a machine with a
# few hundred packages, for plugins syndicate does not use. An operator who wants one sets
# the variable to "".
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from syndicate.cli.main import main
from syndicate.cli.session import Finished


def entry() -> None:
    """Run the command. One that has finished its work (`build`, `check`, `status`: every
    file written and closed, every ledger closed) leaves at once instead of freeing its
    objects one by one, which takes 50-200 ms after a build and does nothing the system
    will not do when the process ends."""
    try:
        main()
    except Finished as done:
        code = done.code if isinstance(done.code, int) else 1
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:  # a closed pipe: the normal exit would not have printed it either
            code = code or 1
        os._exit(code)


__all__ = ["entry", "main"]
