"""Source reconciliation in the prescription knowledge base: the reviewed grade mapping, per-pair
overrides (with the aspirin dose rules), the homonym check of name-matched ANSM substances, and
model consultation for a source's weakest grade. Runs on the demo KB and small fixtures (no
shared data)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from prescription.checker import AlertPolicy, PrescriptionChecker
from prescription.clinical import ClinicalRules
from prescription.kb import LEVELS, Finding, InteractionKB
from prescription.resolver import DrugResolver
from prescription.schema import CheckRequest
from runtime.schema import ModelRef
from tests.unit.prescription_stubs import FixedKB, FixedScorer
from training.prescription.drugs import Drug, DrugTable
from training.prescription.kb import (
    KnowledgeBase,
    ansm_rows,
    build_demo_knowledge_base,
    kb_files,
    load_grade_mapping,
    map_grade,
)

ROOT = Path(__file__).resolve().parents[2]
CURATED = ROOT / "prescription/curated"
DEMO = ROOT / "data/demo/prescription"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# -- curated tables --------------------------------------------------------------------------


def test_grade_mapping_covers_every_source_grade_with_a_rationale() -> None:
    mapping = load_grade_mapping(CURATED)
    assert map_grade(mapping, "ansm", "CONTRE-INDICATION") == "contraindicated"
    assert map_grade(mapping, "ansm", "Association DECONSEILLEE") == "major"
    assert map_grade(mapping, "ansm", "Précaution d'emploi") == "moderate"
    assert map_grade(mapping, "ansm", "A prendre en compte") == "minor"
    assert map_grade(mapping, "ansm", "à prendre en compte") == "minor"
    for grade, level in (("Major", "major"), ("Moderate", "moderate"), ("Minor", "minor")):
        assert map_grade(mapping, "ddinter", grade) == level
    assert map_grade(mapping, "ddinter", "Unknown") == "unknown"
    rows = _rows(CURATED / "grade_mapping.csv")
    assert all(row["rationale"] and row["reference"].startswith("curated") for row in rows)
    weakest = {(r["source"], r["level"]) for r in rows if r["consult_model"] == "yes"}
    assert ("ansm", "minor") in weakest and ("ddinter", "minor") in weakest
    assert not any(level in ("contraindicated", "major") for _, level in weakest)


def test_pair_overrides_are_reviewed_rows_covering_the_daily_list() -> None:
    rows = _rows(CURATED / "pair_overrides.csv")
    assert len(rows) >= 100
    keys = [(min(r["drug_a"], r["drug_b"]), max(r["drug_a"], r["drug_b"]), r["when"]) for r in rows]
    assert len(keys) == len(set(keys))
    for row in rows:
        assert row["level"] in LEVELS
        assert row["rationale"] and row["source"].startswith("curated")
    pairs = {frozenset((r["drug_a"], r["drug_b"])) for r in rows}
    for a, b in [
        ("warfarin", "ibuprofen"),
        ("warfarin", "amiodarone"),
        ("warfarin", "fluconazole"),
        ("warfarin", "metronidazole"),
        ("sertraline", "tramadol"),
        ("fluoxetine", "phenelzine"),
        ("citalopram", "linezolid"),
        ("clarithromycin", "haloperidol"),
        ("moxifloxacin", "amiodarone"),
        ("simvastatin", "clarithromycin"),
        ("lovastatin", "itraconazole"),
        ("atorvastatin", "ketoconazole"),
        ("sildenafil", "isosorbide mononitrate"),
        ("digoxin", "verapamil"),
        ("lithium carbonate", "ibuprofen"),
        ("lithium carbonate", "enalapril"),
        ("lithium carbonate", "hydrochlorothiazide"),
        ("methotrexate", "trimethoprim"),
        ("theophylline", "ciprofloxacin"),
        ("theophylline", "fluvoxamine"),
        ("spironolactone", "enalapril"),
        ("amiloride", "potassium chloride"),
    ]:
        assert frozenset((a, b)) in pairs, (a, b)


# -- the homonym check -----------------------------------------------------------------------


def _nitrate_fixture(tmp_path: Path, curated_rows: list[str]) -> tuple[DrugTable, Path, Path]:
    """ANSM names 'isosorbide' among the nitrates; DrugBank's 'isosorbide' is an osmotic
    diuretic without ATC code, and the nitrates are 'isosorbide (mono|di)nitrate'."""
    drugs = {
        "isosorbide": Drug(
            "isosorbide", "Isosorbide", drugbank_id="DB09401", categories=["Diuretics, Osmotic"]
        ),
        "isosorbide mononitrate": Drug(
            "isosorbide mononitrate", "Isosorbide mononitrate", atc={"C01DA14"}
        ),
        "isosorbide dinitrate": Drug(
            "isosorbide dinitrate", "Isosorbide dinitrate", atc={"C01DA08"}
        ),
        "nitroglycerin": Drug("nitroglycerin", "Nitroglycerin", atc={"C01DA02"}),
        "nicorandil": Drug("nicorandil", "Nicorandil", atc={"C01DX16"}),
        "sildenafil": Drug("sildenafil", "Sildenafil", atc={"G04BE03"}),
    }
    table = DrugTable(drugs=drugs, by_drugbank={}, who_names={}, atc_names={})
    safety = tmp_path / "safety"
    (safety / "ansm_thesaurus").mkdir(parents=True)
    nitrates = ["dérivés nitrés et apparentés"]
    index = [
        {"substance": "isosorbide", "drug_classes": nitrates},
        {"substance": "dinitrate d'isosorbide", "drug_classes": nitrates},
        {"substance": "trinitrine", "drug_classes": nitrates},
        {"substance": "nicorandil", "drug_classes": nitrates},
        {"substance": "sildenafil", "drug_classes": []},
    ]
    thesaurus = [
        {
            "main_drug": "DERIVES NITRES ET APPARENTES",
            "plus_drug": "SILDENAFIL",
            "severity_levels": [{"level": "CONTRE-INDICATION", "info": ""}],
            "interaction_mechanism": "Risque d'hypotension importante (effet synergique).",
            "description": "Risque d'hypotension importante (effet synergique).",
        }
    ]
    (safety / "ansm_thesaurus/index-des-substances-20102020.json").write_text(json.dumps(index))
    name = "thesaurus-referentiel-national-des-interactions-medicamenteuses-20102020.json"
    (safety / "ansm_thesaurus" / name).write_text(json.dumps(thesaurus))
    curated = tmp_path / "curated"
    curated.mkdir()
    shutil.copy(CURATED / "grade_mapping.csv", curated / "grade_mapping.csv")
    (curated / "ansm_substances_fr_en.csv").write_text(
        "substance_fr,generic,source,note\n"
        "trinitrine,nitroglycerin,curated: test,\n"
        "dinitrate d'isosorbide,isosorbide dinitrate,curated: test,\n" + "".join(curated_rows),
        encoding="utf-8",
    )
    return table, safety, curated


def _pairs(rule_pairs: list[dict[str, str]]) -> set[frozenset[str]]:
    return {frozenset((r["drug_a"], r["drug_b"])) for r in rule_pairs}


def test_homonym_is_reported_and_never_matched_silently(tmp_path: Path) -> None:
    table, safety, curated = _nitrate_fixture(tmp_path, [])
    _, rule_pairs, stats, homonyms = ansm_rows(table, safety, curated)
    report = {h["name"]: h for h in homonyms}
    assert report["isosorbide"]["kind"] == "homonym"
    assert report["isosorbide"]["matched_drug"] == "isosorbide"
    assert "C01D" in report["isosorbide"]["source_class"]
    assert stats["ansm_homonyms"] == 1
    # the osmotic diuretic is not given the nitrate rule
    assert frozenset(("isosorbide", "sildenafil")) not in _pairs(rule_pairs)
    assert frozenset(("isosorbide dinitrate", "sildenafil")) in _pairs(rule_pairs)


def test_curated_row_resolves_the_homonym_to_the_nitrate(tmp_path: Path) -> None:
    table, safety, curated = _nitrate_fixture(
        tmp_path, ["isosorbide,isosorbide mononitrate,curated: test,\n"]
    )
    _, rule_pairs, _, homonyms = ansm_rows(table, safety, curated)
    assert {h["name"]: h["resolution"] for h in homonyms}["isosorbide"] == (
        "curated: isosorbide mononitrate"
    )
    assert frozenset(("isosorbide mononitrate", "sildenafil")) in _pairs(rule_pairs)
    assert frozenset(("isosorbide", "sildenafil")) not in _pairs(rule_pairs)


def test_repository_curated_table_maps_ansm_isosorbide_to_the_mononitrate() -> None:
    rows = {r["substance_fr"]: r["generic"] for r in _rows(CURATED / "ansm_substances_fr_en.csv")}
    assert rows["isosorbide"] == "isosorbide mononitrate"


def test_homonym_report_is_a_bundle_file(tmp_path: Path) -> None:
    table, safety, curated = _nitrate_fixture(tmp_path, [])
    _, _, _, homonyms = ansm_rows(table, safety, curated)
    kb = KnowledgeBase([], [], [], [], [], [], [], homonyms=homonyms)
    files = kb_files(kb)
    assert "kb_homonyms.csv" in files
    assert "isosorbide,homonym,ansm" in files["kb_homonyms.csv"]


# -- the demo KB with overrides, through the checker ------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[InteractionKB, DrugResolver, dict]:
    kb, table = build_demo_knowledge_base(DEMO, CURATED)
    folder = tmp_path_factory.mktemp("demo_kb")
    for name, text in kb_files(kb).items():
        (folder / name).write_text(text, encoding="utf-8")
    display = {row["drug"]: row["display"] for row in kb.drugs}
    atc = {d.name: tuple(sorted(d.atc)) for d in table.drugs.values() if d.atc}
    aliases = {
        row["key"]: (tuple(row["ingredients"].split("|")), row["kind"], row["source"])
        for row in kb.aliases
    }
    return InteractionKB.from_tables(folder, display), DrugResolver(aliases), atc


def _rules(atc: dict) -> ClinicalRules:
    return ClinicalRules.from_folder(CURATED, atc, prefix="")


def _checker(kb, resolver, atc, scorer=None) -> PrescriptionChecker:
    return PrescriptionChecker(
        resolver,
        kb,
        _rules(atc),
        scorer or FixedScorer(),  # type: ignore[arg-type]
        atc,
        AlertPolicy(),
        ModelRef(name="test", version="0"),
    )


def _check(checker: PrescriptionChecker, *drugs: dict):
    return checker.check(CheckRequest.model_validate({"id": "t", "drugs": list(drugs)}))


def _interaction(result, a: str, b: str):
    found = [a_ for a_ in result.alerts if a_.type == "interaction" and {a, b} <= set(a_.drugs)]
    return found[0] if found else None


def test_demo_kb_carries_the_overrides(demo) -> None:
    kb, _, _ = demo
    findings = kb.lookup("warfarin", "acetylsalicylic acid")
    overrides = [f for f in findings if f.is_override]
    assert {f.when for f in overrides} == {"", "aspirin_low_dose", "aspirin_high_dose"}
    assert findings[0].is_override


def test_low_dose_aspirin_with_p2y12_is_a_non_interruptive_note(demo) -> None:
    checker = _checker(*demo)
    for partner in ("clopidogrel", "ticagrelor"):
        result = _check(
            checker,
            {"name": "aspirin", "dose_mg": 100, "times_per_day": 1},
            {"name": partner, "dose_mg": 75, "times_per_day": 1},
        )
        alert = _interaction(result, "acetylsalicylic acid", partner)
        assert alert is not None and alert.severity == "moderate"
        assert not alert.interruptive


def test_high_dose_aspirin_with_ticagrelor_is_major(demo) -> None:
    result = _check(
        _checker(*demo),
        {"name": "aspirin", "dose_mg": 500, "times_per_day": 3},
        {"name": "ticagrelor", "dose_mg": 90, "times_per_day": 2},
    )
    alert = _interaction(result, "acetylsalicylic acid", "ticagrelor")
    assert alert is not None and alert.severity == "major" and alert.interruptive


def test_aspirin_with_warfarin_depends_on_the_aspirin_dose(demo) -> None:
    checker = _checker(*demo)
    low = _check(checker, {"name": "warfarin", "dose_mg": 3}, {"name": "aspirin", "dose_mg": 100})
    alert = _interaction(low, "warfarin", "acetylsalicylic acid")
    assert alert is not None and alert.severity == "major" and alert.interruptive
    high = _check(
        checker,
        {"name": "warfarin", "dose_mg": 3},
        {"name": "aspirin", "dose_mg": 1000, "times_per_day": 3},
    )
    alert = _interaction(high, "warfarin", "acetylsalicylic acid")
    assert alert is not None and alert.severity == "contraindicated" and alert.interruptive
    unknown = _check(checker, {"name": "warfarin"}, {"name": "aspirin"})
    alert = _interaction(unknown, "warfarin", "acetylsalicylic acid")
    assert alert is not None and alert.severity == "major"


def test_remembered_pair_answers_match_fresh_ones_and_a_new_policy_forgets_them(demo) -> None:
    drugs = ({"name": "warfarin", "dose_mg": 3}, {"name": "amiodarone"}, {"name": "ibuprofen"})
    checker = _checker(*demo)
    first = _check(checker, *drugs)
    again = _check(checker, *drugs)  # every pair now comes from the memo
    fresh = _check(_checker(*demo), *drugs)
    assert first.model_dump() == again.model_dump() == fresh.model_dump()
    assert any(a.severity == "major" for a in first.alerts if a.type == "interaction")
    checker.policy = AlertPolicy(min_interaction_level="contraindicated")
    stricter_policy = _check(checker, *drugs)
    assert not [a for a in stricter_policy.alerts if a.type == "interaction"]


def test_nitrate_with_pde5_inhibitor_is_contraindicated(demo) -> None:
    result = _check(_checker(*demo), {"name": "sildenafil"}, {"name": "isosorbide mononitrate"})
    alert = _interaction(result, "sildenafil", "isosorbide mononitrate")
    assert alert is not None and alert.severity == "contraindicated" and alert.interruptive


# -- the weakest grade consults the model ---------------------------------------------------


_ATC = {"drug x": ("A01AA01",), "drug y": ("B01AA01",)}


class _NameResolver:
    def resolve(self, written: str):
        from prescription.resolver import Resolution

        return Resolution(written=written, ingredients=(written.lower(),))


def _consult(finding: Finding, severity: dict[str, float] | None):
    checker = PrescriptionChecker(
        _NameResolver(),  # type: ignore[arg-type]
        FixedKB([finding]),  # type: ignore[arg-type]
        _rules(_ATC),
        FixedScorer(severity),  # type: ignore[arg-type]
        _ATC,
        AlertPolicy(),
        ModelRef(name="test", version="0"),
    )
    return _check(checker, {"name": "drug x"}, {"name": "drug y"})


WEAKEST = Finding(
    "minor", "ansm", "ansm-2020-10", "Risque majoré de saignement.", "", "", consult_model=True
)


def test_weakest_grade_shows_the_stricter_model_prediction(tmp_path: Path) -> None:
    result = _consult(WEAKEST, {"major": 0.8, "moderate": 0.15, "minor": 0.05})
    alert = _interaction(result, "drug x", "drug y")
    assert alert is not None and alert.severity == "major"
    assert alert.source == "model" and not alert.interruptive
    assert "minor" in alert.message_en and "major" in alert.message_en


def test_weakest_grade_stays_minor_when_the_model_agrees() -> None:
    result = _consult(WEAKEST, {"major": 0.05, "moderate": 0.15, "minor": 0.8})
    assert _interaction(result, "drug x", "drug y") is None
    assert result.pairs[0].known_level == "minor"


def test_a_grade_that_is_not_the_weakest_is_not_second_guessed() -> None:
    moderate = Finding("moderate", "ddinter", "ddinter-1.0")
    result = _consult(moderate, {"major": 0.95, "moderate": 0.03, "minor": 0.02})
    alert = _interaction(result, "drug x", "drug y")
    assert alert is not None and alert.severity == "moderate" and alert.source == "knowledge_base"


def test_a_kb_table_with_a_renamed_column_is_refused(tmp_path: Path) -> None:
    """The reader checks each table's header against the columns training writes."""
    from prescription.kb import InteractionKB
    from prescription.tables import TABLE_COLUMNS
    from runtime.errors import BundleError

    for name in (
        "kb_levels.csv",
        "kb_rules.csv",
        "kb_rule_pairs.csv",
        "kb_drugbank.csv",
        "drugbank_types.csv",
    ):
        (tmp_path / name).write_text(",".join(TABLE_COLUMNS[name]) + "\n", encoding="utf-8")
    InteractionKB.from_tables(tmp_path, {})  # the declared headers load
    renamed = [c if c != "level" else "severity" for c in TABLE_COLUMNS["kb_levels.csv"]]
    (tmp_path / "kb_levels.csv").write_text(",".join(renamed) + "\n", encoding="utf-8")
    with pytest.raises(BundleError, match="missing \\['level'\\]"):
        InteractionKB.from_tables(tmp_path, {})
