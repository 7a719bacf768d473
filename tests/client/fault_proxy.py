"""A local TCP proxy that breaks HTTP exchanges on purpose, and sees what the service acknowledged.

It sits between a client and a local Firehose endpoint (moto's ``ThreadedMotoServer``) and speaks just enough
HTTP/1.1 (``Content-Length`` bodies, keep-alive) to apply one :class:`Fault` per request:

* ``PASS``: forward the request and the answer;
* ``CUT_REQUEST``: read part of the request, forward nothing, reset the connection (nothing is written);
* ``CUT_RESPONSE``: forward the request, then only half of the answer, then reset (the service wrote the
  records, the client never learns it: the at-least-once case);
* ``RESET``: reset the connection as soon as the request starts (nothing is written);
* ``STATUS``: answer with an HTTP error of our own (5xx, or a 4xx such as ``AccessDeniedException``) without
  forwarding anything;
* ``DELAY``: forward, then hold the answer for ``seconds`` (a read timeout when longer than the client's);
  if the client gave up meanwhile, the answer is not delivered.

:meth:`FaultProxy.refuse` closes the listening socket (and every open connection) so connecting fails with
"connection refused" until :meth:`FaultProxy.recover`.

Every exchange is recorded. :meth:`FaultProxy.acknowledged` decodes the records the service acknowledged *to
the client* (the request's ``Records[i].Data`` whose answer entry has no ``ErrorCode``, for answers the client
received in full): the ground truth of "delivered", independent of the client's own bookkeeping.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Exchange", "Fault", "FaultProxy"]


@dataclass(frozen=True)
class Fault:
    kind: str = "PASS"
    status: int = 0
    code: str = ""
    seconds: float = 0.0

    @classmethod
    def status_error(cls, status: int, code: str) -> Fault:
        return cls("STATUS", status=status, code=code)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        return cls("DELAY", seconds=seconds)


PASS = Fault()
CUT_REQUEST = Fault("CUT_REQUEST")
CUT_RESPONSE = Fault("CUT_RESPONSE")
RESET = Fault("RESET")


@dataclass
class Exchange:
    """One request seen by the proxy."""

    index: int
    fault: Fault
    target: str = ""
    request: bytes = b""
    status: int = 0
    response: bytes = b""
    #: Whether the client received the whole answer.
    delivered: bool = False
    reached_upstream: bool = False


@dataclass
class _Message:
    head: bytes
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a dying network path or a crashed peer does."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def _read_head(sock: socket.socket, buffer: bytearray) -> bytes | None:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    end = buffer.index(b"\r\n\r\n") + 4
    head = bytes(buffer[:end])
    del buffer[:end]
    return head


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if ":" in line)}


def _read_message(sock: socket.socket, buffer: bytearray, *, until_close: bool = False) -> _Message | None:
    head = _read_head(sock, buffer)
    if head is None:
        return None
    headers = _headers(head)
    if "content-length" in headers:
        length = int(headers["content-length"])
        while len(buffer) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buffer += chunk
        body = bytes(buffer[:length])
        del buffer[:length]
    elif until_close:
        while chunk := sock.recv(65536):
            buffer += chunk
        body = bytes(buffer)
        buffer.clear()
    else:
        body = b""
    return _Message(head, body, headers)


def _peer_closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class FaultProxy:
    """The proxy; ``plan(index, exchange_target) -> Fault`` chooses the fault of each request (default: PASS).

    Args:
        upstream: (host, port) of the real endpoint.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.plan: Callable[[int, str], Fault] = lambda index, target: PASS
        self.exchanges: list[Exchange] = []
        self.on_exchange: Callable[[Exchange], None] | None = None
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stopped = False
        self.port = 0
        self._listen()

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def refuse(self) -> None:
        """Refuse connections (and drop the open ones) until :meth:`recover`."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections = list(self._connections)
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
            listener.close()
        for conn in connections:
            _reset(conn)

    def recover(self) -> None:
        """Accept connections again, on the same port."""
        self._listen()

    def refuse_for(self, seconds: float) -> None:
        """Refuse now, recover after ``seconds`` (in the background)."""
        self.refuse()
        timer = threading.Timer(seconds, self.recover)
        timer.daemon = True
        timer.start()

    def stop(self) -> None:
        self._stopped = True
        self.refuse()

    def acknowledged(self) -> list[bytes]:
        """The Firehose records the service acknowledged to the client, in the order of the answers."""
        out: list[bytes] = []
        with self._lock:
            exchanges = list(self.exchanges)
        for exchange in exchanges:
            if not (exchange.delivered and exchange.status == 200 and exchange.target.endswith("PutRecordBatch")):
                continue
            sent = json.loads(exchange.request)["Records"]
            answers = json.loads(exchange.response)["RequestResponses"]
            out += [base64.b64decode(r["Data"]) for r, a in zip(sent, answers, strict=True) if not a.get("ErrorCode")]
        return out

    def acknowledged_lines(self) -> list[bytes]:
        """The acknowledged records split into their newline-terminated lines (aggregates hold several)."""
        return b"".join(self.acknowledged()).splitlines(keepends=True)

    def written_but_unacknowledged(self) -> list[bytes]:
        """Records of calls that reached the service whose answer the client did not get in full."""
        with self._lock:
            exchanges = [e for e in self.exchanges if e.reached_upstream and not e.delivered]
        out: list[bytes] = []
        for exchange in exchanges:
            if exchange.target.endswith("PutRecordBatch") and exchange.request:
                out += [base64.b64decode(r["Data"]) for r in json.loads(exchange.request)["Records"]]
        return out

    # ------------------------------------------------------------------ serving

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        buffer = bytearray()
        up_buffer = bytearray()
        try:
            while True:
                head = _read_head(client, buffer)
                if head is None:
                    return
                with self._lock:
                    exchange = Exchange(len(self.exchanges), PASS)
                    self.exchanges.append(exchange)
                headers = _headers(head)
                exchange.target = headers.get("x-amz-target", "")
                fault = self.plan(exchange.index, exchange.target)
                exchange.fault = fault
                if fault.kind == "RESET":
                    _reset(client)
                    return
                length = int(headers.get("content-length", "0"))
                if fault.kind == "CUT_REQUEST":
                    while len(buffer) < length // 2:
                        chunk = client.recv(65536)
                        if not chunk:
                            break
                        buffer += chunk
                    _reset(client)
                    return
                while len(buffer) < length:
                    chunk = client.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                exchange.request = bytes(buffer[:length])
                del buffer[:length]
                if fault.kind == "STATUS":
                    exchange.status = fault.status
                    self._answer_error(client, exchange, fault)
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.upstream)
                    up_buffer.clear()
                upstream.sendall(head + exchange.request)
                exchange.reached_upstream = True
                answer = _read_message(upstream, up_buffer, until_close=True)
                if answer is None:
                    _reset(client)
                    return
                exchange.status = int(answer.head.split(b" ", 2)[1])
                exchange.response = answer.body
                if answer.headers.get("connection", "").lower() == "close" or "content-length" not in answer.headers:
                    upstream.close()
                    upstream = None
                whole = answer.head + answer.body
                if fault.kind == "CUT_RESPONSE":
                    client.sendall(whole[: len(whole) // 2])
                    _reset(client)
                    return
                if fault.kind == "DELAY":
                    time.sleep(fault.seconds)
                    if _peer_closed(client):
                        _reset(client)
                        return
                exchange.delivered = True  # before sending: the client may act on the answer at once
                try:
                    client.sendall(whole)
                except OSError:
                    exchange.delivered = False
                    raise
                if self.on_exchange is not None:
                    self.on_exchange(exchange)
        except OSError:
            _reset(client)
        finally:
            with self._lock:
                self._connections.discard(client)
            if upstream is not None:
                upstream.close()
            with contextlib.suppress(OSError):
                client.close()

    def _answer_error(self, client: socket.socket, exchange: Exchange, fault: Fault) -> None:
        body = json.dumps({"__type": fault.code, "message": f"{fault.code} (injected by the fault proxy)"}).encode()
        reason = {400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable"}
        head = (
            f"HTTP/1.1 {fault.status} {reason.get(fault.status, 'Error')}\r\n"
            "Content-Type: application/x-amz-json-1.1\r\n"
            f"x-amzn-ErrorType: {fault.code}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        exchange.response = body
        exchange.delivered = True
        try:
            client.sendall(head + body)
        except OSError:
            exchange.delivered = False
            raise
