"""Hostile workbooks built in the test (zipfile + minimal XML): no binary fixtures."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from collections.abc import Iterable

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>")
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="' + REL + '/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>")
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} xmlns:r="{REL}"><sheets>'
            '<sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="' + REL + '/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="' + REL + '/sharedStrings" Target="sharedStrings.xml"/></Relationships>')


def column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def sheet_xml(rows: Iterable[Iterable[str]], dimension: str | None = None) -> str:
    """Inline strings, so the rows need no shared strings."""
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(f'<c r="{column(c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                        for c, v in enumerate(row) if v != "")
        body.append(f'<row r="{r}">{cells}</row>')
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{dim}<sheetData>{"".join(body)}'
            '</sheetData></worksheet>')


def workbook(sheet: str, shared: Iterable[bytes] = (), sheet_name: str = "Tabelle1", level: int = 6) -> bytes:
    """A minimal .xlsx; `shared` are chunks of the sharedStrings.xml body (streamed, never held whole)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK.replace("{name}", sheet_name))
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as stream:
            stream.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {NS}>'.encode())
            for chunk in shared:
                stream.write(chunk)
            stream.write(b"</sst>")
    return out.getvalue()


def one_huge_shared_string(megabytes: int, random: bool = False) -> bytes:
    """`random`: base64 noise that deflate cannot shrink much, so the ratio check does not catch it first."""
    block = base64.b64encode(os.urandom(750_000)) if random else b"a" * 1_000_000

    def chunks():
        yield b"<si><t>"
        for _ in range(megabytes):
            yield block
        yield b"</t></si>"

    return workbook(sheet_xml([["x"]]).replace('t="inlineStr"><is><t>x</t></is>', 't="s"><v>0</v>'), chunks(),
                    level=1)


def many_tiny_shared_strings(count: int, numbered: bool = False) -> bytes:
    """`numbered`: each string differs, so deflate shrinks them ~10:1 and the ratio check does not catch it."""
    def chunks():
        piece = b"<si><t>a</t></si>" * 10_000
        for n in range(count // 10_000):
            yield b"".join(b"<si><t>%d</t></si>" % (n * 10_000 + i) for i in range(10_000)) if numbered else piece

    return workbook(sheet_xml([["x"]]), chunks())
