"""Parsing untrusted XML: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

import re

from lxml import etree

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class UnsafeXml(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=False)


def parse_xml(data: bytes, max_bytes: int) -> etree._ElementTree:
    if len(data) > max_bytes:
        raise UnsafeXml(f"文件大小 {len(data)} 字节，超过上限 {max_bytes} 字节，拒绝导入。")
    match = _DTD.search(data)
    if match:
        line = data.count(b"\n", 0, match.start()) + 1
        raise UnsafeXml("文件含有 DOCTYPE 或实体声明（可能是外部实体或“十亿笑”攻击），出于安全原因拒绝导入。", line)
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"不是格式正确的 XML：{exc.msg}", exc.lineno) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXml("文件含有 DOCTYPE 声明，出于安全原因拒绝导入。", 1)
    return tree
