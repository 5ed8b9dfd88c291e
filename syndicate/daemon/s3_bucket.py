"""The mirror's bucket through boto3, imported only when `[mirror]` is on (the `s3` extra).

Credentials: both `mirror.access_key_id` and `mirror.secret_access_key` as `env:NAME` or
`file:PATH` references, or else boto3's standard chain (AWS_* variables, the shared files, an
instance's or container's role). Whichever gives them, the secret key and session token are
registered with the process's redactor before any request, so an error that quotes them
never reaches the log. botocore retries a failed request once (its "standard" mode); the
mirror's worker does the longer waiting, with the project's backoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from syndicate.config import MirrorSettings, Settings
from syndicate.errors import ConfigError, OutputError
from syndicate.redaction import Redactor, process_redactor
from syndicate.secret_refs import UnreadableSecretError, read_reference

_CONNECT_SECONDS = 5.0
_READ_SECONDS = 30.0
_REFUSED = {"AccessDenied", "403"}  # e.g. a key allowed to write but not to list


class Bucket(Protocol):
    """Where mirrored files go; each failure is an OutputError naming the key."""

    def put(self, key: str, data: bytes, content_type: str, cache_control: str, etag: str) -> None:
        """Store `data` at `key`; `etag` is the daemon's strong ETag, kept in metadata."""

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str) -> set[str] | None:
        """Every key under `prefix`; None when listing is not permitted."""


class S3Bucket:
    def __init__(self, client: Any, name: str) -> None:
        self._client = client
        self.name = name

    def put(self, key: str, data: bytes, content_type: str, cache_control: str, etag: str) -> None:
        self._call(
            "upload",
            key,
            self._client.put_object,
            Bucket=self.name,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=cache_control,
            Metadata={"etag": etag},
        )

    def delete(self, key: str) -> None:
        self._call("delete", key, self._client.delete_object, Bucket=self.name, Key=key)

    def keys(self, prefix: str) -> set[str] | None:
        def listing() -> set[str]:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.name, Prefix=prefix
            )
            return {item["Key"] for page in pages for item in page.get("Contents", ())}

        found: set[str] | None = self._call("list", prefix, listing, refusal_is_none=True)
        return found

    def _call(
        self, what: str, key: str, method: Any, refusal_is_none: bool = False, **arguments: Any
    ) -> Any:
        """`method(**arguments)`, its failures as OutputError (with `refusal_is_none`, an
        access refusal is None instead)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(**arguments)
        except ClientError as exc:
            if refusal_is_none and _code(exc) in _REFUSED:
                return None
            raise OutputError(f"cannot {what} s3://{self.name}/{key}: {exc}") from None
        except BotoCoreError as exc:
            raise OutputError(f"cannot {what} s3://{self.name}/{key}: {exc}") from None


def _code(error: Any) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def open_bucket(
    settings: Settings, environ: Mapping[str, str], redactor: Redactor | None = None
) -> S3Bucket:
    """A client for the configured bucket; ConfigError when boto3 is missing or a credential
    reference cannot be read. Makes no request."""
    mirror, file = settings.mirror, str(settings.source_file or "<config>")
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise ConfigError(
            "[mirror] needs boto3: pip install 'syndicate[s3]'", file=file, key="mirror.enabled"
        ) from None
    redactor = redactor or process_redactor()
    try:  # the errors name the config file as the settings' own do
        keys = _referenced_keys(mirror, environ, settings.base_dir, redactor)
        session = boto3.session.Session(region_name=mirror.region or None, **keys)
        _learn_chain_secrets(session, redactor)
    except ConfigError as error:
        raise ConfigError(error.reason, file=file, key=error.key) from None
    config = Config(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=_CONNECT_SECONDS,
        read_timeout=_READ_SECONDS,
        # Path-style keys for S3-compatible services (MinIO, moto): no per-bucket DNS names.
        s3={"addressing_style": "path"} if mirror.endpoint_url else None,
    )
    client = session.client("s3", endpoint_url=mirror.endpoint_url or None, config=config)
    return S3Bucket(client, mirror.s3_bucket)


def _referenced_keys(
    settings: MirrorSettings, environ: Mapping[str, str], base_dir: Path, redactor: Redactor
) -> dict[str, str]:
    if not settings.access_key_id:
        return {}  # the standard chain
    secret = _read_reference("secret_access_key", settings.secret_access_key, environ, base_dir)
    redactor.add(secret)
    key_id = _read_reference("access_key_id", settings.access_key_id, environ, base_dir)
    return {"aws_access_key_id": key_id, "aws_secret_access_key": secret}


def _learn_chain_secrets(session: Any, redactor: Redactor) -> None:
    credentials = session.get_credentials()
    if credentials is None:  # better refused at start than failing every upload after it
        raise ConfigError(
            "no AWS credentials found: set mirror.access_key_id and mirror.secret_access_key, "
            "or the standard chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws, a role)",
            key="mirror",
        )
    frozen = credentials.get_frozen_credentials()
    for value in (frozen.secret_key, frozen.token):
        if value:
            redactor.add(value)


def _read_reference(name: str, reference: str, environ: Mapping[str, str], base_dir: Path) -> str:
    """The value an `env:NAME` or `file:PATH` reference points at. Errors name the setting and
    the place, never the value."""
    try:
        return read_reference(reference, environ, base_dir)
    except UnreadableSecretError as exc:
        raise ConfigError(str(exc), key=f"mirror.{name}") from None
