"""The requirement catalogue against its sources: the MEF 79.1 draft (every ID, level and
order), the two API guides (every guide reference and citation exists), and the loader's
own validation (bad entries are named)."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.catalogue import (
    NOT_REPRESENTABLE_V7,
    Catalogue,
    CatalogueError,
    load_catalogue,
    load_catalogue_file,
    parse_catalogue,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
SEED = SHARED / "seeds" / "000_ebd5b2f0cbd7353a.txt"
GUIDES = {
    "v8": SHARED / "mef-sdk" / "documentation" / "Mplify87.1-POQ-API-v8-Developer-Guide.md",
    "v7": SHARED / "mef-sdk" / "documentation" / "MEF87-POQ-API-Developer-Guide.md",
}
CATALOGUE_YAML = ROOT / "schemas" / "requirements" / "catalogue.yaml"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A requirement label in the draft text, tolerant of the mangling found there:
# "[R1]", "**[R10]**", "[**R4**]", "[**R**56]", "[011]" (zero for O), "[CR1]<[D1]".
LABEL = re.compile(r"\[\s*(?:\*\*)?\s*(CR|R|D|O|0)\s*(?:\*\*)?\s*(\d+)\s*(?:\*\*)?\s*\]")


# -- reading the draft -----------------------------------------------------------------------


def _is_reference(text: str, start: int) -> bool:
    """A label that points at another requirement instead of introducing one:
    "[CR1]<[D1]" (the D1), "... from [R44]"."""
    before = text[max(0, start - 12):start].replace("*", "").rstrip()
    return before.endswith("<") or before.lower().endswith("from")


def parse_seed(text: str) -> list[tuple[str, str]]:
    """(id, requirement sentence) for each requirement of the draft, in document order.

    The sentence is the line holding the label with every label removed; for the labels
    printed mid-sentence (R59, R70, R71) or after it (R72) that is still the sentence."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for line in text.splitlines():
        for m in LABEL.finditer(line):
            if _is_reference(line, m.start()):
                continue
            prefix = "O" if m.group(1) == "0" else m.group(1)
            rid = f"{prefix}{int(m.group(2))}"
            if rid in seen:
                continue
            seen.add(rid)
            sentence = LABEL.sub(" ", line).replace("*", "")
            found.append((rid, " ".join(sentence.split())))
    return found


def keyword_level(sentence: str) -> str | None:
    """The strongest RFC 2119 keyword (upper case only, as section 6 of the draft says)."""
    if re.search(r"\bMUST NOT\b", sentence):
        return "MUST NOT"
    for word in ("MUST", "SHOULD", "MAY"):
        if re.search(rf"\b{word}\b", sentence):
            return word
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", text.lower().replace("*", ""))


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip("MEF 79.1 draft not available (../shared absent)")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(seed_text: str) -> list[tuple[str, str]]:
    return parse_seed(seed_text)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


# -- the catalogue against the draft ---------------------------------------------------------


def test_seed_parser_sees_the_mangled_labels(seed: list[tuple[str, str]]) -> None:
    ids = [rid for rid, _ in seed]
    for rid in ("R56", "O11", "R58", "R59", "R70", "R71", "R72", "R73", "CR1", "D6"):
        assert rid in ids, rid
    assert "R97" not in ids
    assert ids.count("D1") == 1 and ids.count("R44") == 1  # references not counted twice


def test_every_seed_id_is_catalogued_and_nothing_else(
    seed: list[tuple[str, str]], cat: Catalogue
) -> None:
    seed_ids = {rid for rid, _ in seed}
    assert seed_ids - set(cat.ids) == set(), "in the draft, missing from the catalogue"
    assert set(cat.ids) - seed_ids == set(), "in the catalogue, not in the draft"


def test_exactly_125_ids_of_the_expected_families(cat: Catalogue) -> None:
    assert len(cat) == 125
    expected = (
        {f"R{n}" for n in range(1, 104) if n != 97}
        | {f"D{n}" for n in range(1, 8)}
        | {f"O{n}" for n in range(1, 16)}
        | {"CR1"}
    )
    assert set(cat.ids) == expected
    assert len(set(cat.ids)) == len(cat.ids)


def test_catalogue_follows_document_order(seed: list[tuple[str, str]], cat: Catalogue) -> None:
    assert cat.ids == [rid for rid, _ in seed]


def test_levels_match_the_keyword_of_each_sentence(
    seed: list[tuple[str, str]], cat: Catalogue
) -> None:
    wrong = []
    for rid, sentence in seed:
        if cat.get(rid).level != keyword_level(sentence):
            wrong.append((rid, cat.get(rid).level, keyword_level(sentence), sentence))
    assert not wrong


def test_paraphrases_are_our_own_words(seed_text: str, cat: Catalogue) -> None:
    """No paraphrase shares a run of 8 consecutive words with the draft."""
    seed_grams = _ngrams(_words(seed_text), 8)
    copied = {}
    for r in cat:
        shared = _ngrams(_words(r.paraphrase), 8) & seed_grams
        if shared:
            copied[r.id] = [" ".join(g) for g in sorted(shared)]
    assert not copied


def test_notes_and_readings_do_not_copy_long_passages(seed_text: str, cat: Catalogue) -> None:
    """Notes may quote a few mangled words of the draft, never whole sentences."""
    seed_grams = _ngrams(_words(seed_text), 12)
    texts = {r.id: f"{r.notes or ''} {r.not_testable_reason or ''}" for r in cat}
    for n, inc in enumerate(cat.inconsistencies):
        texts[f"inconsistency {n}"] = f"{inc.issue} {inc.reading}"
    copied = {k: v for k, v in texts.items() if _ngrams(_words(v), 12) & seed_grams}
    assert not copied


def test_sections_hold_their_requirements(seed_text: str, cat: Catalogue) -> None:
    """Each ID's label appears after the heading of its section and before the next one."""
    lines = seed_text.splitlines()
    heading = re.compile(r"^\s*-?\s*(\d+(?:\.\d+)+)\s+\S")
    current = None
    section_of: dict[str, str] = {}
    for line in lines[60:]:  # skip the table of contents
        m = heading.match(line.replace("*", ""))
        if m and not LABEL.search(line):
            current = m.group(1)
        for rid, _ in parse_seed(line):
            section_of.setdefault(rid, current or "")
    mismatched = {r.id: (r.section, section_of.get(r.id)) for r in cat
                  if section_of.get(r.id) != r.section}
    assert not mismatched


# -- the catalogue against the API guides ----------------------------------------------------


def _guide_blocks(text: str) -> dict[str, list[str]]:
    """Guide requirement label -> its paragraph(s), whitespace-normalised."""
    flat = " ".join(text.split())
    parts = re.split(r"(?=\*\*\[(?:R|D|O|CR)\d+\])", flat)
    blocks: dict[str, list[str]] = {}
    for part in parts[1:]:
        m = re.match(r"\*\*\[((?:R|D|O|CR)\d+)\]", part)
        assert m
        blocks.setdefault(m.group(1), []).append(part[:1200])
    return blocks


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_guide_refs_exist_with_their_citation(api: str, cat: Catalogue) -> None:
    if not GUIDES[api].is_file():
        pytest.skip("API guides not available (../shared absent)")
    blocks = _guide_blocks(GUIDES[api].read_text(encoding="utf-8"))
    problems = []
    for r in cat:
        for ref in r.guide_refs[api]:
            paragraphs = blocks.get(ref.guide_id)
            if not paragraphs:
                problems.append(f"{r.id}: guide {api} has no {ref.guide_id}")
            elif ref.cites and not any(f"[{ref.cites}]" in p or ref.cites in p
                                       for p in paragraphs):
                problems.append(f"{r.id}: guide {api} {ref.guide_id} does not cite {ref.cites}")
    assert not problems


def test_v8_citations_are_all_accounted_for(cat: Catalogue) -> None:
    """Every [Mplify79.1 X] citation attached to a v8 guide requirement is recorded on some
    catalogue entry, except the one with no counterpart in the draft (O11, see
    inconsistencies)."""
    if not GUIDES["v8"].is_file():
        pytest.skip("API guides not available (../shared absent)")
    blocks = _guide_blocks(GUIDES["v8"].read_text(encoding="utf-8"))
    recorded = {(ref.guide_id, ref.cites) for r in cat for ref in r.guide_refs.v8}
    missing = []
    for gid, paragraphs in blocks.items():
        for p in paragraphs:
            # citations before the next guide label only
            for cited in re.findall(r"\[Mplify79\.1 ((?:CR1<D1)|[RDO]\d+)\]", p.split("**[", 2)[1]):
                if (gid, f"Mplify79.1 {cited}") not in recorded:
                    missing.append(f"{gid} cites Mplify79.1 {cited}")
    assert missing == ["O5 cites Mplify79.1 O11"]


# -- internal consistency --------------------------------------------------------------------


def test_actor_and_verification_agree(cat: Catalogue) -> None:
    for r in cat:
        if r.actor == "agreement":
            assert r.verification == "not-testable", r.id
        elif r.actor == "buyer":
            assert r.verification in ("buyer", "not-testable"), r.id
        elif r.actor == "seller":
            assert r.verification in ("seller", "not-testable"), r.id
        if r.verification == "not-testable":
            assert r.not_testable_reason, r.id


def test_v8_only_exactly_when_v7_cannot_express_it(cat: Catalogue) -> None:
    for r in cat:
        assert ("v8_only" in r.applies_when) == (r.fields.v7 is None), r.id
        assert r.fields["v7"] == NOT_REPRESENTABLE_V7 or isinstance(r.fields["v7"], tuple)


def test_prefixes_carry_their_levels(cat: Catalogue) -> None:
    for r in cat:
        allowed = {"R": {"MUST", "MUST NOT"}, "CR": {"MUST"}, "D": {"SHOULD"}, "O": {"MAY"}}
        assert r.level in allowed[r.prefix], r.id


@pytest.mark.parametrize(
    ("ids", "verification"),
    [
        (["R3", "CR1", "R4", "R5", "R6", "R8", "R13", "R14", "R15", "R16"], "seller"),
        ([f"R{n}" for n in range(27, 48)], "seller"),
        ([f"R{n}" for n in range(55, 82)], "seller"),
        ([f"R{n}" for n in range(83, 104) if n != 97], "seller"),
        (["R7", "R9", "R10", "R11", "R12", "R82", "R2", "D1", "D2"], "buyer"),
        ([f"R{n}" for n in range(17, 27) if n != 22], "buyer"),
        ([f"R{n}" for n in range(48, 55)], "buyer"),
        (["R1"], "not-testable"),
    ],
)
def test_who_is_checked(ids: list[str], verification: str, cat: Catalogue) -> None:
    """The split the harness and the mock seller rely on (R22 binds both sides and is
    checked on the seller; its buyer half is schema-enforced by the mock)."""
    assert {i: cat.get(i).verification for i in ids} == dict.fromkeys(ids, verification)


def test_use_case_specific_ids_carry_their_capability(cat: Catalogue) -> None:
    for r in cat:
        if r.verification != "seller":
            continue
        if r.use_cases == ("2c",):
            assert "change" in r.applies_when, r.id
        if r.use_cases == ("2b",):
            assert "product_specification" in r.applies_when, r.id
        if r.use_cases == ("3",):
            assert "list" in r.applies_when, r.id


def test_inconsistencies_cover_the_known_differences(cat: Catalogue) -> None:
    covered = [set(i.ids) for i in cat.inconsistencies]
    for group in ({"R31", "R58"}, {"R103"}, {"R99"}, {"R100"}, {"R92"}, {"R44", "R46"},
                  {"R55", "R27"}, {"R39"}):
        assert any(group <= c for c in covered), group


# -- the loader ------------------------------------------------------------------------------


def test_load_is_cached_and_navigable(cat: Catalogue) -> None:
    assert load_catalogue() is cat
    assert cat.get("R39").level == "MUST"
    assert "R97" not in cat
    with pytest.raises(KeyError, match="R97"):
        cat.get("R97")
    assert [r.id for r in cat][:3] == ["R1", "R2", "R3"]


def test_filter_combines_criteria(cat: Catalogue) -> None:
    rows = cat.filter(uc="2c", actor="seller", level="MUST NOT")
    assert [r.id for r in rows] == ["R63", "R69"]
    assert all(r.verification == "buyer" for r in cat.filter(verification="buyer"))
    assert len(cat.filter()) == 125
    with pytest.raises(ValueError, match="unknown uc '2d'"):
        cat.filter(uc="2d")


def _raw() -> dict[str, Any]:
    data = yaml.load(CATALOGUE_YAML.read_text(encoding="utf-8"), Loader=_LOADER)
    assert isinstance(data, dict)
    return data


def _entry(data: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(e for e in data["requirements"] if e["id"] == rid)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: _entry(d, "R39").update(level="MUSTN'T"),
         r"requirements\[R39\]\.level: .*MUSTN'T"),
        (lambda d: _entry(d, "R40").update(colour="red"),
         r"requirements\[R40\]: unknown key: .*colour"),
        (lambda d: _entry(d, "R41").update(use_cases=["2d"]),
         r"requirements\[R41\]\.use_cases\[0\]: '2d'"),
        (lambda d: _entry(d, "R42").update(applies_when=["sunny"]),
         r"requirements\[R42\]\.applies_when\[0\]: 'sunny'"),
        (lambda d: _entry(d, "R1").pop("not_testable_reason"),
         r"requirements\[R1\]: 'not_testable_reason' is a required property"),
        (lambda d: _entry(d, "R43").update(not_testable_reason="x"),
         r"requirements\[R43\]: not_testable_reason is only allowed"),
        (lambda d: _entry(d, "D3").update(level="MUST"),
         r"requirements\[D3\]\.level: 'MUST' does not fit a D-requirement"),
        (lambda d: d["requirements"].append(copy.deepcopy(_entry(d, "R5"))),
         r"requirements\[R5\]: duplicate id"),
        (lambda d: _entry(d, "R44").update(fields={"v8": [], "v7": NOT_REPRESENTABLE_V7}),
         r"requirements\[R44\]\.applies_when: .*v8_only"),
        (lambda d: _entry(d, "R45").update(applies_when=["alternates"]),
         r"requirements\[R45\]\.applies_when: .*v8_only"),
        (lambda d: _entry(d, "R43").update(applies_when=["immediate", "v8_only"]),
         r"requirements\[R43\]\.applies_when: v8_only needs fields.v7"),
        (lambda d: d["inconsistencies"][0].update(ids=["R97"]),
         r"inconsistencies\[R97\]\.ids: unknown requirement id\(s\) R97"),
        (lambda d: _entry(d, "R46")["guide_refs"]["v8"].append({"guide_id": "R54"}),
         r"requirements\[R46\]\.guide_refs\.v8\[1\]: 'cites' is a required property"),
    ],
)
def test_bad_entries_are_named(mutate: Any, message: str) -> None:
    data = _raw()
    mutate(data)
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(data, source="catalogue.yaml")


def test_load_catalogue_file_reports_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read catalogue"):
        load_catalogue_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: '1.0'\nrequirements: []\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"bad.yaml: \(top level\): 'source'"):
        load_catalogue_file(bad)


def test_to_dict_round_trips_through_the_loader(cat: Catalogue) -> None:
    data = _raw()
    data["requirements"] = []
    for r in cat:
        d = r.to_dict()
        if d["not_testable_reason"] is None:
            del d["not_testable_reason"]
        if d["notes"] is None:
            del d["notes"]
        data["requirements"].append(d)
    again = parse_catalogue(data)
    assert [r.to_dict() for r in again] == [r.to_dict() for r in cat]


def test_gating_marks_conditional_permissions_only() -> None:
    """O7/O12 gate like a MUST (breaking their condition is a violation); other MAYs and
    SHOULDs do not; every MUST / MUST NOT does."""
    from schemas.catalogue import is_gating, load_catalogue

    cat = load_catalogue()
    assert sorted(r.id for r in cat if r.gating) == ["O12", "O7"]
    assert is_gating(cat.get("O7")) and is_gating(cat.get("R8"))
    assert not is_gating(cat.get("O9")) and not is_gating(cat.get("D3"))
    assert cat.get("O7").to_dict()["gating"] is True
