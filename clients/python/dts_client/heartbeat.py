"""One dts.HeartbeatMessage to the heartbeats queue: the host says it is alive."""
from __future__ import annotations

import base64
import os
import socket
from typing import Any, Mapping, Optional

from ._codec import dts_pb2
from .handler import TYPE_ATTRIBUTE, now_seconds
from .sqs import sqs_client

AGENT_NAME = "dts-python"
AGENT_VERSION = "0.1.0"


def beat_name(hostname: Optional[str] = None, app: Optional[str] = None) -> str:
    """The name a beat reports: the one given, or `<app>@<machine>` (`python@<machine>` without
    an app). The machine's own name belongs to its agent (`dts agent`); a program that beat under
    it would replace the agent's labels and figures with its own."""
    return hostname or f"{app or 'python'}@{socket.gethostname()}"


def heartbeat_message(
    hostname: Optional[str] = None,
    *,
    app: Optional[str] = None,
    interval: int = 60,
    labels: Optional[Mapping[str, Any]] = None,
    goodbye: bool = False,
    uptime: Optional[float] = None,
    timestamp: Optional[float] = None,
) -> Any:
    beat = dts_pb2.HeartbeatMessage(
        hostname=beat_name(hostname, app),
        timestamp=timestamp if timestamp is not None else now_seconds(),
        interval=int(round(interval)),
        labels={str(k): str(v) for k, v in (labels or {}).items()},
        goodbye=goodbye,
        agent=dts_pb2.AgentInfo(name=AGENT_NAME, version=AGENT_VERSION),
    )
    if uptime is not None:
        beat.uptime = uptime
    return beat


def send_heartbeat(
    hostname: Optional[str] = None,
    queue_url: Optional[str] = None,
    *,
    app: Optional[str] = None,
    interval: int = 60,
    labels: Optional[Mapping[str, Any]] = None,
    goodbye: bool = False,
    uptime: Optional[float] = None,
    sqs: Any = None,
) -> str:
    """Sends one beat now (boto3 retries it); returns the SQS MessageId. `interval` is the
    seconds until the next beat you promise: the host is judged dead when beats stop for longer.
    queue_url: default env DTS_HEARTBEATS_QUEUE_URL. The beat reports as `hostname`, or as
    beat_name(None, app): `<app>@<machine>`, never as the machine's agent does."""
    url = queue_url or os.environ.get("DTS_HEARTBEATS_QUEUE_URL")
    if not url:
        raise ValueError("dts: no heartbeats queue: pass queue_url or set DTS_HEARTBEATS_QUEUE_URL")
    beat = heartbeat_message(hostname, app=app, interval=interval, labels=labels, goodbye=goodbye, uptime=uptime)
    out = sqs_client(sqs).send_message(
        QueueUrl=url,
        MessageBody=base64.b64encode(beat.SerializeToString()).decode("ascii"),
        MessageAttributes={TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": "dts.HeartbeatMessage"}},
    )
    return str(out["MessageId"])
