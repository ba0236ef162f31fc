"""GeoReport v2's two formats: XML (no namespace, root and item elements as the spec names them)
and JSON (lists as bare top-level arrays)."""

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse

# The element each list's items are written as, by the list's own element name.
ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_request_updates": "request_update",
}
_NOT_XML = re.compile(r"[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element, value):
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item = ITEM.get(element.tag, "item")
        for child in value:
            _fill(ET.SubElement(element, item), child)
    else:
        element.text = _text(value)


def xml_bytes(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def answer(fmt: str, root: str, value, status=200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(xml_bytes(root, value), content_type="text/xml; charset=utf-8", status=status)
    body = json.dumps(value, ensure_ascii=False, default=str)
    return HttpResponse(body.encode(), content_type="application/json; charset=utf-8", status=status)


def errors(fmt: str, status: int, description: str, headers=None) -> HttpResponse:
    response = answer(fmt, "errors", [{"code": status, "description": description}], status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response
