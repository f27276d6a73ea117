"""A check's signal (docs/CHECKS.md): one dts.CheckPing to the heartbeats queue, for programs
with AWS credentials. Without them, a job pings over HTTP instead: curl .../ping/<key>."""
from __future__ import annotations

import base64
import os
import re
from typing import Any, Optional, Union

from ._codec import dts_pb2
from .handler import TYPE_ATTRIBUTE, now_seconds
from .sqs import sqs_client

#: The most of a job's output dts keeps: its last 10 KB, as a log record with app = the check.
OUTPUT_KEEP_BYTES = 10 * 1024
_STATUSES = ("", "success", "start", "fail")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def _status(status: Union[str, int, None]) -> str:
    text = "" if status is None else str(status)
    if text in _STATUSES or (text.isdigit() and len(text) <= 3 and int(text) <= 255 and str(int(text)) == text):
        return text
    raise ValueError(f"dts: a ping's status is start, fail, success or an exit status 0 to 255; got {text!r}")


def _tail(output: str) -> str:
    data = output.encode("utf-8")
    if len(data) <= OUTPUT_KEEP_BYTES:
        return output
    start = len(data) - OUTPUT_KEEP_BYTES
    while start < len(data) and (data[start] & 0xC0) == 0x80:  # start on a whole character
        start += 1
    return data[start:].decode("utf-8")


def ping(
    check: str,
    status: Union[str, int, None] = None,
    output: Optional[str] = None,
    *,
    queue_url: Optional[str] = None,
    sqs: Any = None,
) -> str:
    """Sends one signal for `check` (its name) now; returns the SQS MessageId. `status`: None or
    "success", "start", "fail", or the job's exit status 0-255 (0 is a success). `output`: the
    job's output; its last 10 KB is sent. queue_url: default env DTS_HEARTBEATS_QUEUE_URL."""
    if not _NAME.match(check or ""):
        raise ValueError(f"dts: a check name is 1 to 128 letters, digits, '.', '_' or '-'; got {check!r}")
    url = queue_url or os.environ.get("DTS_HEARTBEATS_QUEUE_URL")
    if not url:
        raise ValueError("dts: no heartbeats queue: pass queue_url or set DTS_HEARTBEATS_QUEUE_URL")
    message = dts_pb2.CheckPing(check=check, status=_status(status), output=_tail(output or ""), timestamp=now_seconds())
    out = sqs_client(sqs).send_message(
        QueueUrl=url,
        MessageBody=base64.b64encode(message.SerializeToString()).decode("ascii"),
        MessageAttributes={TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": "dts.CheckPing"}},
    )
    return str(out["MessageId"])
