"""Viet Nam's provinces, districts and wards, before and after the 2025 reorganisation.

Issuing bodies name themselves by place ("TÒA ÁN NHÂN DÂN HUYỆN LỤC NAM / TỈNH BẮC GIANG"), and
OCR damages exactly those capital letters (TỈNH read ẢNH, HỒ read HÒ). A place name read close to
a known one of the same kind of unit is put back to the known spelling, and a district's
province is known even where the header prints only the district. Case files hold documents of
both periods, so both lists are kept: the 63 provinces and their districts before July 2025,
and the 34 provinces after the merger. The data file and its source are in
``data/gazetteer.tsv`` (written by ``scripts/build-gazetteer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz, process

from pipeline.text.fold import fold

PROVINCE_UNITS = ("tỉnh", "thành phố")
DISTRICT_UNITS = ("huyện", "quận", "thị xã", "thành phố")
SNAP_SCORE = 86.0  # a damaged name is replaced only by a known one this similar (rapidfuzz ratio)


@dataclass(frozen=True)
class Place:
    """A province or district: its unit word, its name, and (for a district) its province."""

    unit: str
    name: str
    province: str
    level: str  # "province" or "district"


def _key(name: str) -> str:
    return " ".join(fold(name).split())


@dataclass(frozen=True)
class Gazetteer:
    """Places by their folded name, per level."""

    provinces: dict[str, tuple[Place, ...]]
    districts: dict[str, tuple[Place, ...]]
    wards: dict[str, tuple[Place, ...]]

    def find(self, unit: str, name: str) -> Place | None:
        """The known place nearest ``name`` for this unit word, or None when none is near enough.

        An exact (folded) match wins, a place of the same unit word first; otherwise the
        closest name, if it alone is near enough. "thành phố" may be a province (Hà Nội, Hồ
        Chí Minh...) or a district; provinces are tried first.
        """
        unit = unit.lower()
        key = _key(name)
        if not key:
            return None
        tables = []
        if unit in PROVINCE_UNITS:
            tables.append(self.provinces)
        if unit in DISTRICT_UNITS:
            tables.append(self.districts)

        def fits(place: Place) -> bool:
            # "thành phố Bắc Giang" is the city, not the province of the same name.
            return place.unit == unit or (place.level == "province" and unit == "tỉnh")

        printed = " ".join(name.lower().split())
        for table in tables:
            exact = [p for p in table.get(key, ()) if fits(p)]
            # Folding merges names that differ in their marks (Tam Đường, Tam Dương): the one
            # spelled as printed wins; OCR's damaged marks fall back to the first.
            same = [p for p in exact if p.name.lower() == printed]
            if same or exact:
                return (same or exact)[0]
        # A district upgraded since (huyện Việt Yên became thị xã Việt Yên) keeps its name.
        renamed = [p for p in self.districts.get(key, ()) if unit in DISTRICT_UNITS]
        if renamed:
            return renamed[0]
        for table in tables:
            candidates = [k for k, places in table.items() if any(fits(p) for p in places)]
            found = process.extract(key, candidates, scorer=fuzz.ratio, limit=2)
            if not found or found[0][1] < SNAP_SCORE:
                continue
            if len(found) > 1 and found[1][1] >= found[0][1] - 2:
                return None  # two names equally near: do not guess
            return next(p for p in table[found[0][0]] if fits(p))
        return None

    def province_of(self, district: Place) -> Place | None:
        """The province a district belongs to (before the merger), if its name says which.

        Several provinces have a district of the same name (huyện Châu Thành): then none is
        guessed.
        """
        same = {
            p.province
            for p in self.districts.get(_key(district.name), ())
            if p.unit == district.unit and p.name == district.name
        }
        if len(same) > 1:
            return None
        places = self.provinces.get(_key(district.province), ())
        return places[0] if places else None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once per process."""
    text = resources.files("pipeline.text").joinpath("data/gazetteer.tsv").read_text("utf-8")
    tables: dict[str, dict[str, list[Place]]] = {"province": {}, "district": {}, "ward": {}}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        _era, level, unit, name, province = line.split("\t")
        place = Place(unit, name, province, level)
        bucket = tables[level].setdefault(_key(name), [])
        if place not in bucket:
            bucket.append(place)
    frozen = {level: {k: tuple(v) for k, v in t.items()} for level, t in tables.items()}
    return Gazetteer(frozen["province"], frozen["district"], frozen["ward"])


def names() -> list[str]:
    """Every place name with its unit word ("huyện Tân Yên"), for the lexicon's vocabulary."""
    found = gazetteer()
    return sorted(
        {
            f"{p.unit} {p.name}"
            for table in (found.provinces, found.districts, found.wards)
            for places in table.values()
            for p in places
        }
    )
