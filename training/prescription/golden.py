"""Behavioural cases for the prescription checker (hand-written): golden examples in every
bundle, the promotion gate, and the model-quality tests share them.

Each case is a request plus what a pharmacist must see: `must` lists (alert type, severity at
least, a drug that must be named); `must_not_alert` means no alert at all.
"""

from __future__ import annotations

from typing import Any

from prescription.kb import LEVEL_ORDER

CASES: list[dict[str, Any]] = [
    {
        "request": {
            "id": "warfarin-aspirin-zh",
            "drugs": [{"name": "华法林钠片"}, {"name": "阿司匹林肠溶片"}],
        },
        "must": [("interaction", "major", "warfarin")],
    },
    {
        "request": {
            "id": "warfarin-aspirin-en",
            "drugs": [{"name": "Warfarin 5 mg"}, {"name": "Aspirin 100mg"}],
        },
        "must": [("interaction", "major", "acetylsalicylic acid")],
    },
    {
        "request": {
            "id": "simvastatin-clarithromycin",
            "drugs": [{"name": "simvastatin"}, {"name": "clarithromycin"}],
        },
        "must": [("interaction", "contraindicated", "simvastatin")],
    },
    {
        "request": {
            "id": "simvastatin-clarithromycin-zh",
            "drugs": [{"name": "辛伐他汀片"}, {"name": "克拉霉素缓释片"}],
        },
        "must": [("interaction", "contraindicated", "clarithromycin")],
    },
    {
        "request": {
            "id": "sildenafil-nitroglycerin",
            "drugs": [{"name": "sildenafil"}],
            "current_medications": [{"name": "nitroglycerin"}],
        },
        "must": [("interaction", "contraindicated", "sildenafil")],
    },
    {
        "request": {
            "id": "ibuprofen-naproxen",
            "drugs": [{"name": "布洛芬缓释胶囊"}, {"name": "naproxen"}],
        },
        "must": [("duplicate_therapy", "moderate", "ibuprofen")],
    },
    {
        "request": {
            "id": "amoxicillin-penicillin-allergy",
            "patient": {"allergies": ["penicillin"]},
            "drugs": [{"name": "amoxicillin"}],
        },
        "must": [("allergy", "contraindicated", "amoxicillin")],
    },
    {
        "request": {
            "id": "cefuroxime-penicillin-allergy",
            "patient": {"allergies": ["青霉素"]},
            "drugs": [{"name": "头孢呋辛酯片"}],
        },
        "must": [("allergy", "moderate", "cefuroxime")],
    },
    {
        "request": {
            "id": "isotretinoin-pregnancy",
            "patient": {"sex": "F", "age": 24, "pregnant": True},
            "drugs": [{"name": "isotretinoin"}],
        },
        "must": [("contraindication", "contraindicated", "isotretinoin")],
    },
    {
        "request": {
            "id": "paracetamol-6g",
            "patient": {"age": 40, "weight_kg": 70},
            "drugs": [{"name": "paracetamol", "dose_mg": 1000, "times_per_day": 6}],
        },
        "must": [("dose", "major", "acetaminophen")],
    },
    {
        "request": {
            "id": "aspirin-child",
            "patient": {"age": 8, "weight_kg": 25},
            "drugs": [{"name": "阿司匹林"}],
        },
        "must": [("contraindication", "major", "acetylsalicylic acid")],
    },
    {
        "request": {
            "id": "unknown-drug",
            "drugs": [{"name": "Zorblaxitol 20 mg"}, {"name": "metformin"}],
        },
        "must": [("unknown_drug", "moderate", "Zorblaxitol 20 mg")],
    },
    {
        "request": {
            "id": "metformin-alone",
            "patient": {"age": 55},
            "drugs": [{"name": "metformin", "dose_mg": 500, "times_per_day": 2}],
        },
        "must_not_alert": True,
    },
]


def case_failures(case: dict[str, Any], result: dict[str, Any]) -> list[str]:
    """What a check result misses of a case (empty when the case passes)."""
    alerts = result["alerts"]
    if case.get("must_not_alert"):
        return [f"unexpected alert: {a['type']} {a['severity']} {a['drugs']}" for a in alerts]
    problems = []
    for alert_type, min_severity, drug in case["must"]:
        hits = [
            a
            for a in alerts
            if a["type"] == alert_type
            and drug in a["drugs"]
            and LEVEL_ORDER.index(a["severity"]) <= LEVEL_ORDER.index(min_severity)
        ]
        if not hits:
            problems.append(f"no {alert_type} alert of {min_severity} or worse naming {drug!r}")
    if case["request"]["id"] == "unknown-drug" and "Zorblaxitol 20 mg" not in result["unresolved"]:
        problems.append("the unknown name is not listed as unresolved")
    return problems
