"""dts for Python programs: DtsHandler ships logging records to the logs queue, send_heartbeat
says the host is alive, ping signals a check (a scheduled job). The codec, dts_pb2, is generated from proto/dts.proto by `npm run build`
(protoc); see docs/PYTHON.md."""
from .handler import DtsHandler
from .heartbeat import beat_name, heartbeat_message, send_heartbeat
from .check import ping

__all__ = ["DtsHandler", "beat_name", "heartbeat_message", "send_heartbeat", "ping"]
