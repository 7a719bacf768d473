"""A local Firehose endpoint for outage tests: moto's server, with streams writing to S3 under their own prefix.

moto's Firehose writes one uncompressed S3 object per ``PutRecordBatch`` call, at once, which makes "what
reached the destination" observable right after each call.
"""

from __future__ import annotations

import itertools
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
BUCKET = "outage-bucket"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class LocalFirehose:
    """A started moto server with one bucket; :meth:`create_stream` makes a Direct PUT stream per test."""

    def __init__(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.address = (host, port)
        self.url = f"http://{host}:{port}"
        self.s3 = boto3.client("s3", endpoint_url=self.url, region_name=REGION, **CREDENTIALS)
        self.firehose = boto3.client("firehose", endpoint_url=self.url, region_name=REGION, **CREDENTIALS)
        self.s3.create_bucket(Bucket=BUCKET)
        self._names = itertools.count()

    def stop(self) -> None:
        self.server.stop()

    def create_stream(self, label: str) -> str:
        """A new stream writing under ``<name>/``; returns its name."""
        name = f"{label}-{next(self._names)}"
        self.firehose.create_delivery_stream(
            DeliveryStreamName=name,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose-delivery",
                "BucketARN": f"arn:aws:s3:::{BUCKET}",
                "Prefix": f"{name}/",
            },
        )
        return name

    def delete_stream(self, name: str) -> None:
        self.firehose.delete_delivery_stream(DeliveryStreamName=name)

    def delivered_lines(self, stream: str) -> list[bytes]:
        """Every newline-terminated line in the stream's objects (duplicates included)."""
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{stream}/")
        keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        data = b"".join(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys)
        return data.splitlines(keepends=True)

    def session(self) -> Any:
        return boto3.session.Session(region_name=REGION, **CREDENTIALS)
