"""The boto3 SQS client dts sends with.

SQS answers two protocols: the old query protocol and, since botocore 1.31, the JSON protocol.
Real SQS speaks both; the local cloud (fauxqs) speaks only JSON. Debian bookworm's botocore is
1.29, whose SQS model is query, so for that botocore this module derives the JSON model from
the installed one: same operations and shapes, minus the query wire names. The change is made
on this client's own botocore session; other clients in the process are untouched. A botocore
whose model is already JSON is used as it is.
"""
from __future__ import annotations

import copy
import os
from typing import Any, Dict, Mapping, Optional

_QUERY_ONLY = ("locationName", "flattened", "resultWrapper", "xmlNamespace", "xmlOrder")


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _QUERY_ONLY}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def json_model(model: Dict[str, Any]) -> Dict[str, Any]:
    """The SQS query-protocol model as the JSON protocol's (AmazonSQS target prefix, JSON 1.0)."""
    if model.get("metadata", {}).get("protocol") != "query":
        return model
    converted = _strip(copy.deepcopy(model))
    converted["metadata"].update(protocol="json", jsonVersion="1.0", targetPrefix="AmazonSQS")
    converted["metadata"]["awsQueryCompatible"] = {}
    return converted


def sqs_client(sqs: Any = None) -> Any:
    """The caller's client, or boto3's: at AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL when set
    (botocore reads these itself only from 1.31), speaking SQS's JSON protocol."""
    if sqs is not None:
        return sqs
    import boto3
    import botocore.session
    from botocore.exceptions import NoRegionError

    core = botocore.session.get_session()
    loader = core.get_component("data_loader")
    load = loader.load_service_model

    def load_service_model(service_name: str, type_name: str, api_version: Optional[str] = None) -> Any:
        model = load(service_name, type_name, api_version)
        return json_model(model) if service_name == "sqs" and type_name == "service-2" else model

    loader.load_service_model = load_service_model
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SQS") or os.environ.get("AWS_ENDPOINT_URL")
    session = boto3.session.Session(botocore_session=core)
    options: Dict[str, Any] = {}
    if endpoint:
        options["endpoint_url"] = endpoint
    region = region_from_env(os.environ, endpoint)
    if region:
        options["region_name"] = region
    try:
        return session.client("sqs", **options)
    except NoRegionError:
        raise ValueError(
            "dts: no AWS region: set AWS_REGION or AWS_DEFAULT_REGION (or a region in ~/.aws/config)"
        ) from None


def region_from_env(env: Mapping[str, str], endpoint: Optional[str]) -> Optional[str]:
    """AWS_REGION (what the AWS SDKs for JavaScript and newer botocore read) or AWS_DEFAULT_REGION
    (what every botocore reads, Debian's 1.29 included); for a local endpoint without either,
    us-east-1, as the dts CLI does. None leaves the choice to botocore (~/.aws/config)."""
    region = (env.get("AWS_REGION") or "").strip() or (env.get("AWS_DEFAULT_REGION") or "").strip()
    if region:
        return region
    return "us-east-1" if endpoint else None
