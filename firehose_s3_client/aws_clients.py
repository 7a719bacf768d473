"""boto3 clients for the client tools: the usual credential chain, botocore's own retries off for Firehose."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

__all__ = ["DEFAULT_CONNECT_TIMEOUT_SECONDS", "DEFAULT_READ_TIMEOUT_SECONDS", "create_boto3_client"]

#: botocore's defaults (https://docs.aws.amazon.com/botocore/latest/reference/config.html).
DEFAULT_CONNECT_TIMEOUT_SECONDS = 60.0
DEFAULT_READ_TIMEOUT_SECONDS = 60.0


def create_boto3_client(
    service: str,
    *,
    region_name: str | None = None,
    profile_name: str | None = None,
    endpoint_url: str | None = None,
    botocore_retries: bool = False,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS,
    session: Any = None,
) -> Any:
    """A boto3 client from the usual environment/profile chain (botocore's own retries off by default).

    The producer does its own retrying (per entry, with a time budget), so botocore's retries are
    disabled (``total_max_attempts=1``) to keep the attempt count and the time bound exact.
    ``botocore_retries=True`` keeps botocore's "standard" retry mode instead (for S3 reads). A given
    ``session`` (a ``boto3.session.Session``) replaces ``region_name``/``profile_name``. ``connect_timeout``
    and ``read_timeout`` (seconds, default 60 each, botocore's defaults) bound one call: the producer's retry
    budget cannot interrupt a call in progress.
    """
    if session is None:
        session = boto3.session.Session(profile_name=profile_name, region_name=region_name)
    retries: dict[str, Any] = {"mode": "standard"}
    if not botocore_retries:
        retries["total_max_attempts"] = 1
    config = Config(retries=retries, connect_timeout=connect_timeout, read_timeout=read_timeout)
    return session.client(service, endpoint_url=endpoint_url, config=config)
