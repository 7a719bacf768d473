"""The HTTP side of ``serve``: a threaded HTTP/1.1 server handing each request to the Firehose service.

What real clients need from it:

* HTTP/1.1 with keep-alive (SDKs reuse connections), ``Expect: 100-continue``, bodies sized by
  ``Content-Length`` or sent ``Transfer-Encoding: chunked``; Nagle's algorithm off, so an answer is never held
  back waiting for the client's delayed ACK;
* every answer with ``Content-Type: application/x-amz-json-1.1``, ``Content-Length``, ``x-amzn-RequestId``
  (a UUID, what SDKs report as the request ID) and ``x-amz-id-2``, as the service sends them;
* any request is accepted whatever its ``Authorization``: SigV4-signed requests (the AWS CLI, boto3, the SDKs
  inside the Kinesis Agent and Fluent Bit) and unsigned ones alike. **Signatures are not checked**: whoever
  can reach the port can write to the output, which is why the endpoint listens on loopback by default.

With a TLS context (``--tls-cert``/``--tls-key``) it speaks HTTPS instead: clients that only speak TLS (Fluent
Bit's ``kinesis_firehose`` output always does) can use it; the handshake runs in the connection's thread.

A body over :data:`MAX_BODY_BYTES` is refused (413) without being read (a valid ``PutRecordBatch`` is at most
4 MiB of data, about 5.6 MB as base64). The server counts requests in progress, so a shutdown can wait for
their answers (:meth:`EndpointServer.wait_idle`).
"""

from __future__ import annotations

import base64
import os
import socket
import socketserver
import ssl
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from firehose_s3_client.serve.operations import FirehoseService
from firehose_s3_client.serve.protocol import CONTENT_TYPE, ApiError

__all__ = ["MAX_BODY_BYTES", "EndpointServer"]

MAX_BODY_BYTES = 16 * 1024 * 1024
HANDSHAKE_TIMEOUT_SECONDS = 10.0
_LINE_LIMIT = 65536


class _BodyError(Exception):
    """The request body cannot be read (malformed chunked encoding, too large)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: EndpointServer

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
            self.request.do_handshake()
            self.request.settimeout(None)
        super().setup()

    def do_POST(self) -> None:
        self.server.begin_request()
        try:
            try:
                body = self._body()
            except _BodyError as error:
                self.close_connection = True
                self._answer(error.status, ApiError("SerializationException", str(error)).body())
                return
            try:
                status, answer = self.server.service.handle(self.headers.get("X-Amz-Target"), body)
            except Exception as error:  # a bug: answered like the service's own internal failures
                sys.stderr.write(f"firehose-s3 serve: internal error: {type(error).__name__}: {error}\n")
                status, answer = 500, ApiError("InternalFailure", f"{type(error).__name__}: {error}", 500).body()
            self._answer(status, answer)
        finally:
            self.server.end_request()

    def do_GET(self) -> None:  # not an API call: the service's answer to an unknown operation
        self.server.begin_request()
        try:
            self._answer(*self.server.service.handle(None, b""))
        finally:
            self.server.end_request()

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._chunked()
        length_text = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(length_text)
        except ValueError:
            raise _BodyError(400, f"Content-Length {length_text!r} is not a number") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise _BodyError(413, f"the request body ({length} bytes) is over {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_LINE_LIMIT)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BodyError(400, "malformed chunked request body") from None
            if size == 0:
                while self.rfile.readline(_LINE_LIMIT) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyError(413, f"the request body is over {MAX_BODY_BYTES} bytes")
            parts.append(self.rfile.read(size))
            self.rfile.readline(_LINE_LIMIT)

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("x-amz-id-2", base64.b64encode(os.urandom(48)).decode("ascii"))
        if self.close_connection or self.server.stopping:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a producer sends many requests; the summary counts them."""


class EndpointServer(ThreadingHTTPServer):
    """The endpoint on ``(host, port)`` (port 0: any free port, see :attr:`url`)."""

    daemon_threads = True  # idle keep-alive connections must not keep the process alive
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], service: FirehoseService, *, tls: ssl.SSLContext | None = None
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.service = service
        self.tls = tls
        self.stopping = False
        self._in_progress = 0
        self._idle = threading.Condition()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow, and the name is never used)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = self.socket.accept()
        if self.tls is not None:  # the handshake happens in the connection's thread (_Handler.setup)
            connection = self.tls.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
        return connection, address

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), int(self.server_address[1])
        shown = f"[{host}]" if ":" in host else host
        return f"{'https' if self.tls is not None else 'http'}://{shown}:{port}"

    def begin_request(self) -> None:
        with self._idle:
            self._in_progress += 1

    def end_request(self) -> None:
        with self._idle:
            self._in_progress -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is in progress (at most ``timeout`` seconds); whether it is."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_progress == 0, timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that disconnects is not an error of the endpoint; anything else is one line on stderr."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            return
        sys.stderr.write(f"firehose-s3 serve: connection from {client_address[0]}: {type(error).__name__}: {error}\n")
