"""The triage model card: what the bundle is for, its figures, its limits."""

from __future__ import annotations

from typing import Any

from training.card import render_card, table
from training.triage.data import TriageData

CARD_SUMMARY = (
    "Suggests the clinical department for a patient's free-text complaint at intake (top 5 "
    "with calibrated probabilities), abstains to a human when unsure, and sets a triage level "
    "(five levels, emergency_ambulance to self_care) from a curated concept lexicon and rules "
    "that do not depend on the department model, with a learned backstop that can only raise "
    "a complaint no rule caught to emergency."
)
CARD_INTENDED_USE = [
    "Routing online consultations to a department queue; a doctor sees the suggestions and "
    "confirms or corrects them.",
    "Raising emergency red flags (chest pain with sweating, stroke signs, ...) for immediate "
    "human attention.",
]
CARD_OUT_OF_SCOPE = [
    "**Not a diagnosis** and not medical advice to patients.",
    "Deciding care without a clinician; the emergency flag is a rule match, not a clinical "
    "assessment.",
    "Departments outside the 20 it was trained on; languages other than Chinese and (partly) "
    "English.",
]
CARD_LIMITATIONS = [
    "Trained on haodf.com requests (2022): online-consultation wording, mostly urban adults and "
    "parents of young children.",
    "English complaints are rare in training; expect lower accuracy on them.",
    "Urgency comes from concept rules with context (negated, historical, hypothetical, family, "
    "idiom, chronic) and a weakly supervised backstop; unusual wording can still be missed, so "
    "urgency must never be the only safety net.",
    "Pediatric vs adult departments lean on the age bucket: give the age when known. A short "
    "complaint that says nothing of who the patient is can still go to a pediatric department "
    "at an adult age (haodf's short cough-and-fever questions are mostly parents'): "
    "'咳嗽发烧三天，有痰' at 45 gives 小儿呼吸系统疾病 first in the 2026-12-06 candidates.",
    "The 20 departments have no adult ear or nose clinic: haodf routes such complaints to "
    "小儿耳鼻喉 (pediatric ENT) at any age, and so does the model.",
]


def _urgency_section(manifest: dict[str, Any]) -> str:
    entry = manifest["postprocessing"]["urgency"]
    backstop = manifest["metrics"].get("urgency_backstop")
    lines = [
        f"Triage level from the concept table `{entry['version']}` (`{entry['table']}`): five "
        "levels, every level above `consultation` with its rule, concept and the span of the "
        "typed text. Recall and false alarms on written vignettes: `python bench/urgency.py "
        "--bundle <this bundle>`.",
    ]
    if backstop:
        lines.append(
            f"Learned backstop `{backstop['architecture']}` (weak labels from the rules on "
            f"{sum(backstop['corpus'].values())} texts): threshold {backstop['threshold']:.3f} "
            f"(set by the {backstop.get('threshold_decided_by', 'unrecorded')} bound), "
            f"raises {backstop['added_rate_validation']:.2%} of rule-routine validation requests; "
            f"haodf test emergency rate {backstop['test_emergency_rate_rules']:.2%} (rules) -> "
            f"{backstop['test_emergency_rate_with_backstop']:.2%} (with the backstop); parity "
            f"{backstop['parity_max_abs_diff']:.1e}. It only ever raises a level to `emergency`."
        )
    dialect = (entry.get("backstop") or {}).get("dialect_ngrams")
    if dialect:
        lines.append(
            f"The backstop's character n-grams read written Cantonese as Mandarin through "
            f"`{dialect['table']}` (`{dialect['version']}`, shipped in this bundle); the rules "
            "and the sentence embedding read the complaint as typed."
        )
    return "\n\n".join(lines)


def _shift_section(shift: dict[str, dict[str, float]]) -> str:
    if not shift:
        return "No shift set was available to this run."
    rows = [{"set": name, **values} for name, values in shift.items()]
    columns = ["n", "accuracy", "top3_accuracy", "ece", "abstain_rate", "confidently_wrong_rate"]
    return (
        "Hand-written sets in other platforms' Chinese and in English, and English public sets "
        "mapped onto our departments (training/triage/shift.py). `*_holdout` sets are never used "
        "to choose anything; `en_dev` trains the sentence family's embedding-only route "
        "(with two more writers' files) and `en_retired_holdout` calibrates it.\n\n"
        + table(rows, ["set", *columns])
    )


def render_triage_card(manifest: dict[str, Any], data: TriageData, english: dict[str, str]) -> str:
    metrics = manifest["metrics"]
    test = metrics["test"]
    overall_rows = [
        {"split": split, **{k: v for k, v in metrics[split]["overall"].items()}}
        for split in ("validation", "test")
    ]
    slice_rows = [{"slice": name, **values} for name, values in test["slices"].items()]
    department_rows = [
        {"department": f"{name} ({english.get(name, '')})", **values}
        for name, values in test["per_department"].items()
    ]
    selective = test["selective"]
    target = manifest["training_config"]["calibration"]["target_selective_accuracy"]
    calibration = (
        f"Temperature scaling fitted on the validation split: T = "
        f"{manifest['postprocessing']['temperature']:.3f}. Abstain threshold (top-1 "
        f"probability) = {selective['abstain_threshold']:.3f}, chosen on validation as the lowest "
        f"threshold whose kept cases reach {target:.0%} accuracy. On the test split: coverage "
        f"{selective['coverage']:.3f}, selective accuracy {selective['selective_accuracy']:.3f}, "
        f"ECE {test['overall']['ece']:.4f}."
    )
    metric_columns = ["n", "accuracy", "macro_f1", "top3_accuracy", "ece"]
    return render_card(
        title=f"Triage department suggester ({manifest['architecture']})",
        manifest=manifest,
        summary=CARD_SUMMARY,
        intended_use=CARD_INTENDED_USE,
        out_of_scope=CARD_OUT_OF_SCOPE,
        data_lines=[
            f"Source: `{data.source}` ({', '.join(data.files)}), sha256 {data.sha256}.",
            f"Rows by split (hash of id): {data.frame['split'].value_counts().to_dict()}.",
            f"Labels: {len(data.labels)} departments, sorted; label i is output column i.",
            "Age enters as a decade bucket; sex is accepted but not used by the model "
            "(the real data has none).",
        ],
        metric_sections=[
            ("Metrics", table(overall_rows, ["split", *metric_columns])),
            ("Calibration and Abstention", calibration),
            ("Metrics by Slice (test)", table(slice_rows, ["slice", *metric_columns])),
            (
                "Per Department (test)",
                table(department_rows, ["department", "support", "precision", "recall", "f1"]),
            ),
            ("Away from haodf (shift sets)", _shift_section(metrics.get("shift") or {})),
            ("Urgency", _urgency_section(manifest)),
        ],
        limitations=CARD_LIMITATIONS,
        usage=(
            "```bash\npython -m triage predict --bundle models/triage/current "
            "--input in.jsonl --output out.jsonl\n```"
        ),
    )
