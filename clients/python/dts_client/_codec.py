"""The generated codec, or an error that says how to generate it."""
try:
    from . import dts_pb2
except ImportError as e:
    if "dts_pb2" not in str(e):  # protobuf itself is missing: that error says so
        raise
    raise ImportError(
        "dts_client/dts_pb2.py is missing: it is generated from proto/dts.proto by `npm run build` "
        "when protoc is installed (apt-get install protobuf-compiler)"
    ) from e

__all__ = ["dts_pb2"]
