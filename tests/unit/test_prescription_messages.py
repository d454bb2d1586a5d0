"""Alert messages in Chinese and English, templated from mechanism and grade; the source's own
(French) wording only in `evidence`; no wrong reassurance for same-class pairs."""

from __future__ import annotations

import re
from pathlib import Path

from prescription.checker import AlertPolicy, PrescriptionChecker
from prescription.clinical import ClinicalRules
from prescription.kb import Finding
from prescription.messages import (
    MECHANISMS,
    interaction_messages,
    management,
    mechanism_key,
    zh_names,
)
from prescription.resolver import Resolution
from prescription.schema import Alert, CheckRequest
from runtime.schema import ModelRef
from tests.unit.prescription_stubs import FixedKB, FixedScorer

ROOT = Path(__file__).resolve().parents[2]
CURATED = ROOT / "prescription/curated"
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_mechanism_key_reads_french_and_english_source_text() -> None:
    assert mechanism_key(["Risque majoré de torsades de pointes."]) == "qt"
    assert mechanism_key(["Risque de rhabdomyolyse par diminution du métabolisme"]) == (
        "statin_myopathy"
    )
    assert mechanism_key(["Augmentation du risque hémorragique."]) == "bleeding"
    assert mechanism_key(["Risque d'hyperkaliémie potentiellement létale"]) == "hyperkalemia"
    assert mechanism_key(["The risk of serotonin syndrome can be increased"]) == "serotonin"
    assert mechanism_key(["nothing recognisable"]) == "generic"


def test_every_mechanism_has_management_for_every_grade() -> None:
    for key in MECHANISMS:
        for level in ("contraindicated", "major", "moderate", "minor"):
            en, zh = management(key, level)
            assert en and CJK.search(zh), (key, level)


def test_contraindicated_management_never_reassures() -> None:
    for key in MECHANISMS:
        en, zh = management(key, "contraindicated")
        if key == "antiplatelet_dapt":
            continue
        assert "do not" in en.lower() or "avoid" in en.lower(), key
        assert "禁止" in zh or "避免" in zh, key


def test_interaction_messages_in_both_languages() -> None:
    text = interaction_messages(
        "simvastatin",
        "clarithromycin",
        "contraindicated",
        "statin_myopathy",
        zh={"simvastatin": "辛伐他汀", "clarithromycin": "克拉霉素"},
    )
    assert text.message_en.startswith("simvastatin + clarithromycin: contraindicated")
    assert "辛伐他汀与克拉霉素合用：禁止合用" in text.message_zh
    assert "横纹肌溶解" in text.message_zh
    assert "pravastatin" in text.management_en and "普伐他汀" in text.management_zh


def test_zh_names_pick_the_shortest_chinese_generic() -> None:
    generic, old_name = "curated: 中国药典/药品说明书 (通用名)", "curated: 常用别名/旧称"
    aliases = {
        "硫酸氢氯吡格雷": (("clopidogrel",), "zh_generic", generic),
        "氯吡格雷": (("clopidogrel",), "zh_generic", generic),
        "波立维": (("clopidogrel",), "zh_brand", "x"),
        "复方": (("a", "b"), "zh_generic", generic),
        "阿司匹林": (("acetylsalicylic acid",), "zh_generic", generic),
        "醋柳酸": (("acetylsalicylic acid",), "zh_generic", old_name),
    }
    assert zh_names(aliases) == {"clopidogrel": "氯吡格雷", "acetylsalicylic acid": "阿司匹林"}


def test_alert_keeps_backward_compatible_fields() -> None:
    alert = Alert(
        type="dose",
        severity="major",
        drugs=["x"],
        source="curated",
        interruptive=True,
        message="m",
        management="g",
        evidence="e",
    )
    assert alert.message_zh == "" and alert.management_en == ""


# -- through the checker ---------------------------------------------------------------------

ATC = {"enalapril": ("C09AA02",), "lisinopril": ("C09AA03",), "drug x": ("A01AA01",)}
FRENCH_MECHANISM = "Risque majoré de troubles du rythme ventriculaire, notamment de torsades."
FRENCH_MANAGEMENT = "Surveillance clinique et électrocardiographique pendant l'association."


class _Resolver:
    def __init__(self) -> None:
        self.aliases = {
            "依那普利": (("enalapril",), "zh_generic", "x"),
            "赖诺普利": (("lisinopril",), "zh_generic", "x"),
        }

    def resolve(self, written: str) -> Resolution:
        return Resolution(written=written, ingredients=(written.lower(),))


def _checker(findings: list[Finding]) -> PrescriptionChecker:
    return PrescriptionChecker(
        _Resolver(),  # type: ignore[arg-type]
        FixedKB(findings),  # type: ignore[arg-type]
        ClinicalRules.from_folder(CURATED, ATC, prefix=""),
        FixedScorer(),  # type: ignore[arg-type]
        ATC,
        AlertPolicy(),
        ModelRef(name="test", version="0"),
    )


def _check(checker: PrescriptionChecker, *names: str):
    request = CheckRequest.model_validate({"id": "t", "drugs": [{"name": n} for n in names]})
    return checker.check(request)


def test_same_class_contraindicated_pair_has_no_reassurance() -> None:
    """A contraindicated same-class pair is one duplicate-therapy alert at the contraindicated
    grade, citing the interaction."""
    checker = _checker([Finding("contraindicated", "ddinter", "ddinter-1.0")])
    result = _check(checker, "enalapril", "lisinopril")
    alert = next(a for a in result.alerts if a.type == "duplicate_therapy")
    assert not [a for a in result.alerts if a.type == "interaction"]
    assert alert.severity == "contraindicated" and alert.interruptive
    assert "allow-listed" not in alert.message.lower()
    assert "intended" not in alert.message.lower()
    assert "duplicate therapy" in alert.message_en
    assert "依那普利" in alert.message_zh and "重复用药" in alert.message_zh
    assert "豁免" not in alert.message_zh


def test_french_source_text_stays_in_evidence_only() -> None:
    finding = Finding(
        "major", "ansm", "ansm-2020-10", FRENCH_MECHANISM, FRENCH_MANAGEMENT, "ANSM: A + B"
    )
    result = _check(_checker([finding]), "drug x", "enalapril")
    alert = next(a for a in result.alerts if a.type == "interaction")
    for field in (alert.message, alert.management, alert.message_zh, alert.management_zh):
        assert "Risque" not in field and "Surveillance" not in field
    assert FRENCH_MECHANISM in alert.evidence and FRENCH_MANAGEMENT in alert.evidence
    assert alert.message == alert.message_en and alert.management == alert.management_en
    assert "QT" in alert.message_en and "QT" in alert.message_zh
    assert "心电图" in alert.management_zh


def test_every_alert_has_both_languages() -> None:
    checker = _checker([Finding("major", "ddinter", "ddinter-1.0")])
    request = CheckRequest.model_validate(
        {
            "id": "t",
            "patient": {"allergies": ["enalapril"]},
            "drugs": [{"name": "enalapril"}, {"name": "drug x"}, {"name": "no such drug"}],
        }
    )
    result = checker.check(request)
    assert len({a.type for a in result.alerts}) >= 2
    for alert in result.alerts:
        assert alert.message_en and alert.management_en
        assert CJK.search(alert.message_zh) and CJK.search(alert.management_zh), alert
