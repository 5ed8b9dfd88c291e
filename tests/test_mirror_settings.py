"""`[mirror]`: off by default, refused with a clear error when it cannot work, and its
credentials never written in the config nor shown once read."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.config import MirrorSettings, Settings, parse_settings
from syndicate.daemon.s3_bucket import open_bucket
from syndicate.errors import ConfigError
from syndicate.redaction import REDACTED, Redactor

MINIMAL = '[site]\nurl = "https://x.org"\n'
SECRET = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"


def mirror(tmp_path: Path, body: str, environ: dict[str, str] | None = None) -> MirrorSettings:
    text = MINIMAL + "[mirror]\n" + body
    return parse_settings(text, file="c.toml", base_dir=tmp_path, environ=environ or {}).mirror


def test_the_mirror_is_off_by_default(tmp_path: Path) -> None:
    settings = parse_settings(MINIMAL, file="c.toml", base_dir=tmp_path)
    assert not settings.mirror.enabled and settings.mirror.cache_control == "public, no-cache"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("enabled = true\n", r"c.toml:3: mirror: mirror.enabled needs mirror.s3_bucket"),
        ('s3_bucket = "Feeds_CDN"\n', r"c.toml:4: mirror.s3_bucket: not an S3 bucket name"),
        ('prefix = "/feeds"\n', r"c.toml:4: mirror.prefix: a relative key prefix"),
        ('prefix = "a/../b"\n', r"c.toml:4: mirror.prefix: a relative key prefix"),
        ('endpoint_url = "s3.example.org"\n', r"mirror.endpoint_url: must be an absolute http"),
        ('access_key_id = "env:K"\n', r"c.toml:3: mirror: give both mirror.access_key_id"),
    ],
)
def test_a_mirror_that_cannot_work_is_a_clear_error(
    tmp_path: Path, body: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        mirror(tmp_path, body)


def test_a_secret_written_in_the_config_is_refused_without_being_quoted(tmp_path: Path) -> None:
    body = 'access_key_id = "env:K"\nsecret_access_key = "${S3_SECRET}"\n'
    with pytest.raises(ConfigError, match="env:NAME or file:PATH") as caught:
        mirror(tmp_path, body, {"S3_SECRET": SECRET})
    assert SECRET not in str(caught.value)


def test_a_prefix_is_a_folder(tmp_path: Path) -> None:
    assert mirror(tmp_path, 'prefix = "site/feeds"\n').prefix == "site/feeds/"
    assert mirror(tmp_path, 'prefix = "feeds/"\n').prefix == "feeds/"


def settings_with(tmp_path: Path, credentials: str) -> Settings:
    text = (
        MINIMAL
        + '[mirror]\nenabled = true\ns3_bucket = "feeds"\nendpoint_url = "http://127.0.0.1:9"\n'
        + credentials
    )
    return parse_settings(text, file=str(tmp_path / "c.toml"), base_dir=tmp_path, environ={})


def test_an_unreadable_credential_names_the_setting_and_the_place(tmp_path: Path) -> None:
    settings = settings_with(
        tmp_path, 'access_key_id = "env:S3_KEY"\nsecret_access_key = "file:missing"\n'
    )
    with pytest.raises(ConfigError, match=r"mirror.secret_access_key: cannot read .*missing"):
        open_bucket(settings, {"S3_KEY": "AKID"}, Redactor())


def test_referenced_secrets_are_redacted_once_read(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text(SECRET + "\n")
    settings = settings_with(
        tmp_path, 'access_key_id = "env:S3_KEY"\nsecret_access_key = "file:secret"\n'
    )
    redactor = Redactor()
    open_bucket(settings, {"S3_KEY": "AKIDEXAMPLE"}, redactor)
    assert redactor(f"refused: {SECRET}") == f"refused: {REDACTED}"


def test_secrets_from_the_standard_chain_are_redacted_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMCHAIN")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session-token-from-the-chain")
    redactor = Redactor()
    open_bucket(settings_with(tmp_path, ""), {}, redactor)
    assert redactor(f"{SECRET} session-token-from-the-chain") == f"{REDACTED} {REDACTED}"


def test_no_credentials_anywhere_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask for an instance's role
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match=r"c.toml: mirror: no AWS credentials found"):
        open_bucket(settings_with(tmp_path, ""), {}, Redactor())
