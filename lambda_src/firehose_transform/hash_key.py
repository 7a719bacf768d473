"""The keyed-hash key, read once per cold start from AWS Secrets Manager.

The secret's ``SecretString`` (UTF-8) is the key. boto3 is imported only here, and only when
``HASH_FIELDS`` is set, to keep it off the cold-start path of every other configuration. Tests (and
callers with their own client) pass ``client``: any object with boto3's ``get_secret_value`` signature.
"""

from __future__ import annotations

from firehose_transform.config import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from firehose_transform.shapes import SecretsClient


def fetch_hash_key(secret_arn: str, client: SecretsClient | None = None) -> bytes:
    """Return the key bytes stored in ``secret_arn``; raises :class:`ConfigError` if there is none."""
    if client is None:
        import boto3

        client = boto3.client("secretsmanager")
    response = client.get_secret_value(SecretId=secret_arn)
    secret = response.get("SecretString")
    if not isinstance(secret, str) or not secret:
        raise ConfigError("HASH_KEY_SECRET_ARN must name a secret with a non-empty SecretString")
    return secret.encode("utf-8")
