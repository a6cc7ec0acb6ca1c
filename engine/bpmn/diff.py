"""Comparing two versions of a flow chart: elements added, removed and changed (by id)."""

from __future__ import annotations

from dataclasses import dataclass

from .parser import BPMN_NS
from .xmlsafe import parse_xml

_IGNORED = {"extensionElements", "documentation", "incoming", "outgoing"}


@dataclass(frozen=True)
class ElementChange:
    element: str
    kind: str
    name: str
    change: str  # added / removed / changed
    details: tuple[str, ...] = ()


def _elements(xml: bytes) -> dict[str, dict]:
    root = parse_xml(xml, 16 * 1024 * 1024).getroot()
    out = {}
    for process in root.iterfind(f"{{{BPMN_NS}}}process"):
        for el in process.iter():
            if not isinstance(el.tag, str) or not el.get("id") or el is process:
                continue
            kind = el.tag.split("}")[1]
            if kind in _IGNORED or kind.endswith("EventDefinition"):
                continue
            attrs = {k.split("}")[-1] if not k.startswith("{") else k: v for k, v in el.attrib.items() if k != "id"}
            for child in el:
                if isinstance(child.tag, str) and child.tag.endswith("}extensionElements"):
                    for ext in child:
                        key = f"{ext.tag.split('}')[1]}:{ext.get('name') or ''}"
                        attrs[key] = ",".join(f"{k}={v}" for k, v in sorted(ext.attrib.items()))
                if isinstance(child.tag, str) and child.tag.endswith("}conditionExpression"):
                    attrs["condition"] = (child.text or "").strip()
                if isinstance(child.tag, str) and child.tag.endswith("EventDefinition"):
                    attrs["event"] = child.tag.split("}")[1] + ":" + "".join((c.text or "").strip() for c in child)
            out[el.get("id")] = {"kind": kind, "name": el.get("name") or "", "attrs": attrs}
    return out


def _short(key: str) -> str:
    for ns, prefix in (("{http://camunda.org/schema/1.0/bpmn}", "camunda:"), ("{urn:sunhall:bpmn:1.0}", "sunhall:")):
        key = key.replace(ns, prefix)
    return key


def compare_flows(old_xml: str | bytes, new_xml: str | bytes) -> list[ElementChange]:
    old = _elements(old_xml.encode() if isinstance(old_xml, str) else old_xml)
    new = _elements(new_xml.encode() if isinstance(new_xml, str) else new_xml)
    changes = []
    for el_id in sorted(set(old) | set(new)):
        a, b = old.get(el_id), new.get(el_id)
        if a is None:
            details = tuple(f"{_short(k)}={v}" for k, v in sorted(b["attrs"].items())
                            if k not in ("name", "sourceRef", "targetRef"))
            changes.append(ElementChange(el_id, b["kind"], b["name"], "added", details))
        elif b is None:
            changes.append(ElementChange(el_id, a["kind"], a["name"], "removed"))
        else:
            details = []
            if a["kind"] != b["kind"]:
                details.append(f"类型 {a['kind']} → {b['kind']}")
            if a["name"] != b["name"]:
                details.append(f"名称 “{a['name']}” → “{b['name']}”")
            for key in sorted(set(a["attrs"]) | set(b["attrs"])):
                if a["attrs"].get(key) != b["attrs"].get(key):
                    details.append(f"{_short(key)}: {a['attrs'].get(key, '（无）')} → {b['attrs'].get(key, '（无）')}")
            if details:
                changes.append(ElementChange(el_id, b["kind"], b["name"], "changed", tuple(details)))
    return changes
