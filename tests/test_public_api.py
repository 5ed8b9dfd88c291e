"""The public API is exactly what syndicate/__init__.py names: a name added or dropped is a
decision, made here on purpose."""

from __future__ import annotations

import inspect

import syndicate
from syndicate import errors

PUBLIC = {
    "AddressRefusedError",
    "AmbiguousError",
    "AuthError",
    "Author",
    "ConfigError",
    "ConflictError",
    "ContentError",
    "Context",
    "DraftExistsError",
    "DuplicateError",
    "EncodingError",
    "FeedFormat",
    "FeedKind",
    "FrontmatterError",
    "Message",
    "NotAFeedError",
    "NotFoundError",
    "OutputError",
    "Post",
    "PostDataError",
    "PublishError",
    "Publisher",
    "RateLimitedError",
    "Receipt",
    "RefusedError",
    "RejectedError",
    "Settings",
    "Span",
    "StaleOwnerError",
    "StoreError",
    "SyndicateError",
    "Tag",
    "Term",
    "TextRules",
    "TransientError",
    "UsageError",
    "__version__",
    "find_config",
    "load_settings",
}


def test_the_public_names_are_exactly_these() -> None:
    assert set(syndicate.__all__) == PUBLIC
    assert sorted(syndicate.__all__) == syndicate.__all__
    for name in syndicate.__all__:
        assert hasattr(syndicate, name), name


def test_every_error_is_public_and_one_tree() -> None:
    classes = [
        value
        for value in vars(errors).values()
        if inspect.isclass(value) and issubclass(value, BaseException)
    ]
    for error in classes:
        assert issubclass(error, errors.SyndicateError), error
        assert error.__name__ in syndicate.__all__, error


def test_errors_that_were_builtin_kinds_still_are() -> None:
    assert issubclass(errors.NotAFeedError, ValueError)
    assert issubclass(errors.NotFoundError, LookupError)
    assert issubclass(errors.ConflictError, ValueError)


SCRIPTS = ("syndicate.store.migrations.env", "syndicate.store.migrations.versions.")


def test_no_other_module_defines_a_public_error() -> None:
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(syndicate.__path__, "syndicate."):
        if info.name in {"syndicate.errors", "syndicate.__main__"}:
            continue
        if info.name.startswith(SCRIPTS):  # Alembic runs these; importing them runs them
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, errors.SyndicateError)
                and value.__module__ == info.name
            ):
                raise AssertionError(f"{info.name}.{name} belongs in syndicate/errors.py")


def test_a_low_layer_loads_without_the_layers_above() -> None:
    """The public names load on first use: importing the data model pulls in no publisher."""
    import subprocess
    import sys

    code = "import sys, syndicate.model; print(sorted(m for m in sys.modules if 'syndicate' in m))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "syndicate.publish" not in loaded.stdout and "syndicate.config" not in loaded.stdout


def test_the_command_line_starts_without_the_settings_models() -> None:
    """`syndicate --help` (and every command, until it runs) loads neither pydantic nor the
    settings: they cost most of the start-up."""
    import subprocess
    import sys

    heavy = "'pydantic' in m or m == 'syndicate.config'"
    code = f"import sys, syndicate.cli; print(sorted(m for m in sys.modules if {heavy}))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"


def test_the_command_line_turns_pydantic_plugins_off_unless_told() -> None:
    """Looking for pydantic plugins scans every installed package's entry points (20-40 ms
    of each command); the command turns it off, and an operator's own setting wins."""
    import os
    import subprocess
    import sys

    code = "import os, syndicate.cli; print(repr(os.environ['PYDANTIC_DISABLE_PLUGINS']))"
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    for given, seen in ((None, "'__all__'"), ("", "''"), ("logfire", "'logfire'")):
        env = environ if given is None else {**environ, "PYDANTIC_DISABLE_PLUGINS": given}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        assert out.stdout.strip() == seen
