"""The HTTP endpoint as real clients meet it: boto3 (SigV4-signed, its own parser and retries) and raw HTTP/1.1
(unsigned, keep-alive, chunked bodies, 100-continue), on a free loopback port."""

from __future__ import annotations

import base64
import datetime
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from firehose_s3_client.serve.faults import FaultInjector
from firehose_s3_client.serve.http_server import MAX_BODY_BYTES, EndpointServer

CREDENTIALS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret", "region_name": "eu-west-1"}


class Running:
    def __init__(self, streams: Any, faults: FaultInjector | None = None) -> None:
        self.streams = streams
        self.service = streams.service(faults)
        self.server = EndpointServer(("127.0.0.1", 0), self.service)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def client(self, **config: Any) -> Any:
        return boto3.client("firehose", endpoint_url=self.server.url, config=Config(**config), **CREDENTIALS)

    def connection(self) -> http.client.HTTPConnection:
        host, port = self.server.server_address[:2]
        return http.client.HTTPConnection(str(host), int(port), timeout=10)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def running(streams: Any) -> Iterator[Running]:
    endpoint = Running(streams)
    yield endpoint
    endpoint.stop()


def _raw(connection: http.client.HTTPConnection, operation: str | None, body: bytes, **headers: str) -> Any:
    sent = {"Content-Type": "application/x-amz-json-1.1", **headers}
    if operation is not None:
        sent["X-Amz-Target"] = f"Firehose_20150804.{operation}"
    connection.request("POST", "/", body=body, headers=sent)
    response = connection.getresponse()
    return response, response.read()


def test_boto3_sends_and_reads_every_operation(running: Running) -> None:
    client = running.client()
    single = client.put_record(DeliveryStreamName="orders", Record={"Data": b"one\n"})
    assert len(single["RecordId"]) == 224
    assert single["Encrypted"] is True
    assert uuid.UUID(single["ResponseMetadata"]["RequestId"])
    batch = client.put_record_batch(DeliveryStreamName="Plain", Records=[{"Data": b"%d\n" % n} for n in range(10)])
    assert batch["FailedPutCount"] == 0
    assert len(batch["RequestResponses"]) == 10
    assert client.list_delivery_streams()["DeliveryStreamNames"] == ["BackedUp", "FromKinesis", "Plain", "orders"]
    described = client.describe_delivery_stream(DeliveryStreamName="Plain")["DeliveryStreamDescription"]
    assert described["DeliveryStreamStatus"] == "ACTIVE"
    assert described["CreateTimestamp"].year == 2026  # parsed as a timestamp
    assert running.streams.by_name("Plain").engine.tally.records_in == 10


def test_boto3_raises_the_modeled_exceptions(running: Running) -> None:
    client = running.client()
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.put_record(DeliveryStreamName="nope", Record={"Data": b"x"})
    assert missing.value.response["Error"]["Message"] == "Firehose nope under account 123456789012 not found."
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(client.exceptions.InvalidArgumentException, match="Records size exceeds 4 MB limit"):
        client.put_record_batch(DeliveryStreamName="Plain", Records=[{"Data": b"z" * 900_000}] * 5)
    with pytest.raises(ClientError) as too_many:
        client.put_record_batch(DeliveryStreamName="Plain", Records=[{"Data": b"z"}] * 501)
    assert too_many.value.response["Error"]["Code"] == "ValidationException"


def test_boto3_retries_a_throttled_call(streams: Any) -> None:
    endpoint = Running(streams, FaultInjector(throttle_rate=1.0))
    try:
        client = endpoint.client(retries={"mode": "standard", "total_max_attempts": 3})
        with pytest.raises(client.exceptions.ServiceUnavailableException) as throttled:
            client.put_record_batch(DeliveryStreamName="Plain", Records=[{"Data": b"x"}])
    finally:
        endpoint.stop()
    assert throttled.value.response["Error"]["Message"] == "Slow down."
    assert throttled.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert throttled.value.response["ResponseMetadata"]["RetryAttempts"] == 2
    assert streams.by_name("Plain").counts.as_dict()["calls_throttled_injected"] == 3


def test_an_unsigned_request_is_accepted_and_answered_with_the_service_s_headers(running: Running) -> None:
    connection = running.connection()
    body = json.dumps({"DeliveryStreamName": "Plain", "Record": {"Data": base64.b64encode(b"raw\n").decode()}})
    response, answer = _raw(connection, "PutRecord", body.encode())
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/x-amz-json-1.1"
    assert int(response.getheader("Content-Length")) == len(answer)
    assert uuid.UUID(response.getheader("x-amzn-RequestId"))
    assert len(base64.b64decode(response.getheader("x-amz-id-2"))) == 48
    assert set(json.loads(answer)) == {"RecordId", "Encrypted"}


def test_connections_are_kept_alive(running: Running) -> None:
    connection = running.connection()
    sockets = set()
    for n in range(5):
        body = json.dumps(
            {"DeliveryStreamName": "Plain", "Records": [{"Data": base64.b64encode(b"%d\n" % n).decode()}]}
        )
        response, _ = _raw(connection, "PutRecordBatch", body.encode())
        assert response.status == 200
        assert response.getheader("Connection") != "close"
        sockets.add(id(connection.sock))
    assert len(sockets) == 1
    assert running.streams.by_name("Plain").engine.tally.records_in == 5


def test_a_chunked_body_with_100_continue_is_read_whole(running: Running) -> None:
    host, port = running.server.server_address[:2]
    payload = json.dumps(
        {"DeliveryStreamName": "Plain", "Records": [{"Data": base64.b64encode(b"chunked\n").decode()}]}
    )
    chunks = [payload[:10], payload[10:]]
    with socket.create_connection((str(host), int(port)), timeout=10) as raw:
        head = (
            "POST / HTTP/1.1\r\nHost: local\r\nX-Amz-Target: Firehose_20150804.PutRecordBatch\r\n"
            "Content-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
        )
        raw.sendall(head.encode())
        assert raw.recv(100).startswith(b"HTTP/1.1 100 Continue")
        raw.sendall("".join(f"{len(chunk):x}\r\n{chunk}\r\n" for chunk in chunks).encode() + b"0\r\n\r\n")
        answer = b""
        while b'"RequestResponses"' not in answer or not answer.rstrip().endswith(b"}"):
            answer += raw.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200")
    assert b'"FailedPutCount":0' in answer


def test_what_is_not_an_api_call_is_refused_as_the_service_does(running: Running) -> None:
    connection = running.connection()
    response, answer = _raw(connection, None, b"{}")
    assert (response.status, json.loads(answer)["__type"]) == (400, "UnknownOperationException")
    connection.request("GET", "/")
    response = connection.getresponse()
    assert (response.status, json.loads(response.read())["__type"]) == (400, "UnknownOperationException")


def test_an_oversized_body_is_refused_unread_and_the_connection_closed(running: Running) -> None:
    connection = running.connection()
    connection.putrequest("POST", "/")
    connection.putheader("X-Amz-Target", "Firehose_20150804.PutRecordBatch")
    connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 413
    assert response.getheader("Connection") == "close"
    assert json.loads(response.read())["__type"] == "SerializationException"


def test_many_clients_at_once_lose_nothing(running: Running) -> None:
    def produce(worker: int) -> int:
        client = running.client()
        sent = 0
        for call in range(10):
            records = [{"Data": b"%d-%d-%d\n" % (worker, call, n)} for n in range(50)]
            answer = client.put_record_batch(DeliveryStreamName="Plain", Records=records)
            sent += len(records) - answer["FailedPutCount"]
        return sent

    with ThreadPoolExecutor(max_workers=8) as pool:
        sent = sum(pool.map(produce, range(8)))
    assert sent == 8 * 10 * 50
    assert running.streams.by_name("Plain").engine.tally.records_in == sent


def test_while_stopping_answers_close_the_connection(running: Running) -> None:
    running.server.stopping = True
    connection = running.connection()
    response, _ = _raw(connection, "ListDeliveryStreams", b"{}")
    assert response.status == 200
    assert response.getheader("Connection") == "close"


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (what `openssl req -x509` makes)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def test_with_a_certificate_the_endpoint_speaks_https(streams: Any, tmp_path: Path) -> None:
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server = EndpointServer(("127.0.0.1", 0), streams.service(), tls=context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        assert server.url.startswith("https://127.0.0.1:")
        client = boto3.client("firehose", endpoint_url=server.url, verify=str(cert_file), **CREDENTIALS)
        answer = client.put_record_batch(DeliveryStreamName="Plain", Records=[{"Data": b"over tls\n"}])
        assert answer["FailedPutCount"] == 0
        host, port = server.server_address[:2]
        plain = http.client.HTTPConnection(str(host), int(port), timeout=5)
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            _raw(plain, "ListDeliveryStreams", b"{}")
        untrusted = boto3.client(
            "firehose", endpoint_url=server.url, config=Config(retries={"total_max_attempts": 1}), **CREDENTIALS
        )
        with pytest.raises(botocore.exceptions.SSLError):
            untrusted.list_delivery_streams()
    finally:
        server.shutdown()
        server.server_close()
    assert streams.by_name("Plain").engine.tally.records_in == 1
