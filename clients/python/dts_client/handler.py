"""A logging.Handler that ships records to dts: dts.LogMessage records, batched into dts.LogBatch
SQS messages (body = base64 of the protobuf bytes, attribute dts-type = dts.LogBatch).

emit() never blocks on the network: it encodes the record and appends it to a bounded buffer
(past the bound the oldest records are dropped and counted, as the TypeScript producer does).
A background thread sends the buffer every `flush_interval` seconds, or sooner when a full
message's worth is waiting. flush() sends everything now; close() (called by logging.shutdown
at exit, and by this module's own atexit hook) flushes what is left before the process ends.
"""
from __future__ import annotations

import atexit
import base64
import logging
import os
import random
import socket
import threading
import time
import uuid
import weakref
from collections import deque
from typing import Any, Deque, Dict, List, Mapping, Optional

from ._codec import dts_pb2
from .sqs import sqs_client

TYPE_ATTRIBUTE = "dts-type"
# The contract's bound on one SQS message, and on one SendMessageBatch call (10 entries).
MAX_MESSAGE_BYTES = 256 * 1024
MAX_CALL_ENTRIES = 10
MAX_CALL_BYTES = 256 * 1024
MAX_BATCH_RECORDS = 10_000
# What the service accepts (lib/wire/validate.ts).
MAX_APP = 128
MAX_HOSTNAME = 255
MAX_MAP_ENTRIES = 64
MAX_MAP_KEY = 128
MAX_MAP_VALUE = 1024
TEXT_MAX_BYTES = 32 * 1024


def attribute_bytes(message_type: str) -> int:
    """Bytes SQS counts for the dts-type attribute: its name, data type and value."""
    return len(TYPE_ATTRIBUTE) + len("String") + len(message_type.encode())


def max_payload(budget: int, attr_bytes: int) -> int:
    """The largest protobuf payload whose base64 body plus attributes fits in `budget` bytes."""
    return max(0, (budget - attr_bytes) // 4 * 3)


def _varint_len(n: int) -> int:
    length = 1
    while n >= 0x80:
        n >>= 7
        length += 1
    return length


def framed_len(n: int) -> int:
    """What a record of n encoded bytes adds to a LogBatch: field-1 tag, length, itself."""
    return 1 + _varint_len(n) + n


def frame_batch(records: List[bytes]) -> bytes:
    """Encoded LogMessages framed as LogBatch.records (field 1): a valid LogBatch, no re-encoding."""
    out = bytearray()
    for r in records:
        out.append(0x0A)
        n = len(r)
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
        out += r
    return bytes(out)


def truncate_text(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    kept = data[:max_bytes].decode("utf-8", errors="ignore")
    return f"{kept} …[truncated {len(data) - len(kept.encode('utf-8'))} bytes]"


LOG_BATCH_ATTR = attribute_bytes("dts.LogBatch")
MAX_BATCH_PAYLOAD = max_payload(MAX_MESSAGE_BYTES, LOG_BATCH_ATTR)
# The largest encoded record that still fits in a message on its own (its framing taken off).
MAX_RECORD_BYTES = MAX_BATCH_PAYLOAD - 1 - _varint_len(MAX_BATCH_PAYLOAD)


def now_seconds() -> float:
    return round(time.time(), 6)


class DtsHandler(logging.Handler):
    """Sends every record it handles to the dts logs queue.

    app: the application name records are stored under (required, 1-128 characters).
    queue_url: default env DTS_LOGS_QUEUE_URL.
    hostname: default socket.gethostname().
    fields: added to every record's fields; a record's own come from `extra={"fields": {...}}`.
    capacity: records kept while the queue cannot be reached; past it the oldest are dropped.
    """

    def __init__(
        self,
        app: str,
        queue_url: Optional[str] = None,
        hostname: Optional[str] = None,
        *,
        fields: Optional[Mapping[str, Any]] = None,
        level: int = logging.NOTSET,
        flush_interval: float = 1.0,
        capacity: int = 10_000,
        max_attempts: int = 5,
        sqs: Any = None,
    ) -> None:
        # Everything that can fail comes before logging.Handler.__init__, which registers the
        # handler for logging.shutdown at exit: a handler that failed to be made is never flushed.
        if not app or len(app) > MAX_APP:
            raise ValueError(f"dts: app must have 1-{MAX_APP} characters, got {app!r}")
        url = queue_url or os.environ.get("DTS_LOGS_QUEUE_URL")
        if not url:
            raise ValueError("dts: no logs queue: pass queue_url or set DTS_LOGS_QUEUE_URL")
        client = sqs_client(sqs)
        super().__init__(level)
        self.app = app
        self.queue_url = url
        self.hostname = (hostname or socket.gethostname())[:MAX_HOSTNAME]
        self.fields = {str(k): str(v) for k, v in (fields or {}).items()}
        self.flush_interval = flush_interval
        self.capacity = capacity
        self.max_attempts = max_attempts
        self.sent = 0
        self.dropped = 0
        self._own_client = sqs is None
        self._sqs = client
        self._buffer: Deque[bytes] = deque()
        self._buffered_bytes = 0
        self._wake = threading.Condition(threading.Lock())
        # One sender at a time: the thread, flush() and close() take turns.
        self._sending = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="dts-log-flush", daemon=True)
        self._thread.start()
        # logging.shutdown closes handlers at exit too; this hook covers a handler that logging
        # no longer knows (removed, or logging.raiseExceptions games). close() runs once.
        ref = weakref.ref(self)
        atexit.register(lambda: (h := ref()) is not None and h.close())
        # A forked child (gunicorn, celery, multiprocessing) has no flush thread and shares the
        # parent's connections: it gets its own of both.
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=lambda: (h := ref()) is not None and h._after_fork())

    def _after_fork(self) -> None:
        # The parent sends what was buffered before the fork; the child sends only its own.
        self._buffer.clear()
        self._buffered_bytes = 0
        self._wake = threading.Condition(threading.Lock())
        self._sending = threading.Lock()
        if self._own_client:
            self._sqs = sqs_client()
        if not self._closed:
            self._thread = threading.Thread(target=self._run, name="dts-log-flush", daemon=True)
            self._thread.start()

    # -- logging.Handler ---------------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        try:
            encoded = self._encode(record)
        except Exception:
            self.handleError(record)
            return
        with self._wake:
            self._buffer.append(encoded)
            self._buffered_bytes += framed_len(len(encoded))
            while len(self._buffer) > self.capacity:
                self._buffered_bytes -= framed_len(len(self._buffer.popleft()))
                self.dropped += 1
            if self._buffered_bytes >= MAX_BATCH_PAYLOAD * MAX_CALL_ENTRIES // 2:
                self._wake.notify()

    def flush(self) -> None:
        """Send every buffered record now (retrying); what cannot be sent stays buffered."""
        self._send_all()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._wake:
            self._wake.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        self._send_all()
        super().close()

    # -- encoding ------------------------------------------------------------------------

    def _encode(self, record: logging.LogRecord) -> bytes:
        fields: Dict[str, str] = dict(self.fields)
        fields.setdefault("logger", record.name)
        own = getattr(record, "fields", None)
        if isinstance(own, Mapping):
            for k, v in own.items():
                fields[str(k)[:MAX_MAP_KEY]] = str(v)[:MAX_MAP_VALUE]
        if len(fields) > MAX_MAP_ENTRIES:
            fields = dict(list(fields.items())[:MAX_MAP_ENTRIES])
        message = dts_pb2.LogMessage(
            app=self.app,
            hostname=self.hostname,
            timestamp=round(record.created, 6),
            level=record.levelno,
            text=truncate_text(self.format(record), TEXT_MAX_BYTES),
            fields=fields,
            id=uuid.uuid4().hex,
        )
        encoded = message.SerializeToString()
        if len(encoded) > MAX_RECORD_BYTES:
            raise ValueError(f"dts: record is {len(encoded)} bytes; at most {MAX_RECORD_BYTES} fit in a message")
        return encoded

    # -- sending -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._closed:
            with self._wake:
                self._wake.wait(self.flush_interval)
            if self._closed:
                return
            try:
                self._send_all()
            except Exception as e:  # never let the thread die: the next round tries again
                _warn(f"dts: sending logs failed: {e}")

    def _take(self) -> List[List[bytes]]:
        """Up to one call's worth of messages, each a list of encoded records, off the buffer."""
        messages: List[List[bytes]] = []
        call_bytes = 0
        with self._wake:
            while self._buffer and len(messages) < MAX_CALL_ENTRIES:
                records: List[bytes] = []
                payload = 0
                while self._buffer and len(records) < MAX_BATCH_RECORDS:
                    size = framed_len(len(self._buffer[0]))
                    if payload + size > MAX_BATCH_PAYLOAD:
                        break
                    if call_bytes + _body_bytes(payload + size) > MAX_CALL_BYTES:
                        break
                    records.append(self._buffer.popleft())
                    self._buffered_bytes -= size
                    payload += size
                if not records:
                    break
                messages.append(records)
                call_bytes += _body_bytes(payload)
        return messages

    def _requeue(self, messages: List[List[bytes]]) -> None:
        with self._wake:
            for records in reversed(messages):
                for r in reversed(records):
                    self._buffer.appendleft(r)
                    self._buffered_bytes += framed_len(len(r))
            while len(self._buffer) > self.capacity:
                self._buffered_bytes -= framed_len(len(self._buffer.popleft()))
                self.dropped += 1

    def _send_all(self) -> None:
        with self._sending:
            while True:
                messages = self._take()
                if not messages:
                    return
                unsent = self._send_call(messages)
                if unsent:
                    self._requeue(unsent)
                    return

    def _send_call(self, messages: List[List[bytes]]) -> List[List[bytes]]:
        """One SendMessageBatch and its retries; returns the messages still unsent."""
        pending = messages
        error: Optional[BaseException] = None
        for attempt in range(self.max_attempts):
            if attempt > 0:
                time.sleep(random.random() * min(5.0, 0.1 * 2**attempt))
            try:
                out = self._sqs.send_message_batch(
                    QueueUrl=self.queue_url,
                    Entries=[
                        {
                            "Id": f"m{i}",
                            "MessageBody": base64.b64encode(frame_batch(records)).decode("ascii"),
                            "MessageAttributes": {TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": "dts.LogBatch"}},
                        }
                        for i, records in enumerate(pending)
                    ],
                )
            except Exception as e:
                error = e
                continue
            retry: List[List[bytes]] = []
            for ok in out.get("Successful", []):
                self.sent += len(pending[int(ok["Id"][1:])])
            for failed in out.get("Failed", []):
                records = pending[int(failed["Id"][1:])]
                if failed.get("SenderFault"):
                    self.dropped += len(records)
                    _warn(f"dts: SQS refused {len(records)} record(s): {failed.get('Code')}: {failed.get('Message')}")
                else:
                    retry.append(records)
            pending = retry
            if not pending:
                return []
        _warn(f"dts: {sum(len(r) for r in pending)} record(s) not sent yet: {error or 'SQS failed them'}")
        return pending


def _body_bytes(payload: int) -> int:
    return (payload + 2) // 3 * 4 + LOG_BATCH_ATTR


def _warn(text: str) -> None:
    # Not through logging: this handler may be on the root logger.
    import sys

    print(text, file=sys.stderr)
