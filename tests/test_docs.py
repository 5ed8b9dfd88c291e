"""Documentation that cannot drift: every setting and command is in the README."""

from __future__ import annotations

from typing import get_args, get_origin

import msgspec

from syndicate.cli import main
from syndicate.config import FeedKindSettings, Settings
from tests.conftest import REPO

README = (REPO / "README.md").read_text("utf-8")


def settings_keys() -> list[str]:
    keys = []
    for field in msgspec.structs.fields(Settings):
        if field.name in ("base_dir", "source_file"):
            continue  # the loader's, not the file's
        model = field.type
        prefix = field.encode_name
        if get_origin(model) is tuple:  # an array of tables, such as [[sources]]
            model, prefix = get_args(model)[0], f"{prefix}[]"
        assert isinstance(model, type) and issubclass(model, msgspec.Struct)
        for inner in msgspec.structs.fields(model):
            if inner.type is FeedKindSettings:
                continue  # documented once, as …name rows
            keys.append(f"{prefix}.{inner.encode_name}")
    keys += [f"…{field.encode_name}" for field in msgspec.structs.fields(FeedKindSettings)]
    return keys


def test_every_setting_is_documented() -> None:
    missing = [key for key in settings_keys() if f"`{key}`" not in README]
    assert missing == []


def test_every_command_is_documented() -> None:
    assert main.commands
    missing = [name for name in main.commands if f"syndicate {name}" not in README]
    assert missing == []


def test_the_readme_starts_with_the_two_commands() -> None:
    blocks = README.split("```")
    assert "syndicate run" in blocks[1] and "pip install -e ." in blocks[1]
    assert "pytest" in blocks[3] and "'.[test]'" in blocks[3]
