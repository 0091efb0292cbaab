"""Extraction through the real ``hoso process``: every document kind, scanned, read by OCR."""

from __future__ import annotations

import io
import json
from pathlib import Path

import img2pdf

from tests.synthetic import degrade, render_page
from tests.synthetic.casefiles import DOC_TYPES, Facts, make_case_document
from tests.test_cli import run


def _scan(path: Path, seed: int, doc_type: str) -> Facts:
    case = make_case_document(seed, doc_type)
    blobs = []
    for index in range(len(case.document.pages)):
        image = degrade(render_page(case.document, index).image, "office_copy", seed + index)
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=80, dpi=(300, 300))
        blobs.append(buf.getvalue())
    path.write_bytes(img2pdf.convert(blobs))
    return case.facts


def test_every_document_kind_is_extracted_from_its_scan(
    tmp_path: Path, hoso_env: dict[str, str]
) -> None:
    facts = {}
    for n, doc_type in enumerate(DOC_TYPES):
        path = tmp_path / f"{doc_type}.pdf"
        facts[path.name] = _scan(path, 900 + n, doc_type)
    proc = run(
        ["process", "--jobs", "2", "--json", *map(str, sorted(tmp_path.glob("*.pdf")))], hoso_env
    )
    assert proc.returncode == 0, proc.stderr
    expected_parties = found_parties = hits = 0
    for line in proc.stdout.splitlines():
        record = json.loads(line)
        want = facts[Path(record["file"]).name]
        assert record["doc_type"] == want.doc_type
        assert record["number"] == want.number
        assert record["cited"] == list(want.cited)
        assert record["date"] == want.date and record["case_type"] == want.case_type
        assert record["issuer"] == want.issuer
        assert record["amounts"] == list(want.amounts)
        expected = {(p.role, p.name.casefold()) for p in want.parties}
        found = {(p["role"], p["name"].casefold()) for p in record["parties"]}
        expected_parties += len(expected)
        found_parties += len(found)
        hits += len(expected & found)
        if record["fields"]["number"]["value"]:
            assert record["fields"]["number"]["box"] is not None
    assert hits / expected_parties >= 0.9 and hits / found_parties >= 0.9
