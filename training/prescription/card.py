"""The prescription checker's model card."""

from __future__ import annotations

from typing import Any

from training.card import render_card, table

CARD_SUMMARY = (
    "Audits a prescription and a patient profile: drug-drug interactions (within the "
    "prescription and with current medications), duplicate therapy, dose, pregnancy, "
    "lactation, age and condition contraindications, allergy with cross-reactivity. The "
    "versioned knowledge base is authoritative; a learned model scores pairs it lacks, "
    "abstains for drugs unlike any it has seen, never raises a contraindication, and its "
    "alerts are labelled as predicted and never interrupt."
)
CARD_INTENDED_USE = [
    "Decision support for doctors signing e-prescriptions and pharmacists filling carts.",
    "Explaining, per drug pair, what is known and what is predicted (the `pairs` list).",
]
CARD_OUT_OF_SCOPE = [
    "Replacing a pharmacist's review; dosing for renal/hepatic impairment beyond the "
    "listed conditions.",
    "Commercial use of the sources without licences: DDInter, DrugBank and WHO ATC/DDD "
    "data are non-commercial; the ANSM thesaurus reuse terms were not verified.",
]
CARD_USAGE = (
    "```bash\npython -m prescription check --bundle models/prescription/current "
    "--input in.jsonl --output out.jsonl\n```"
)


def render_prescription_card(
    manifest: dict[str, Any],
    split_rows: list[dict[str, Any]],
    stats: dict[str, Any],
    behaviour: dict[str, Any],
) -> str:
    """The card of a prescription bundle: `split_rows` compare the model with the class-pair
    prior on each held-out split, `stats` count the knowledge base's rows per table and
    `behaviour` tallies the behavioural cases."""
    kb_rows = [{"table": key, "rows": value} for key, value in stats.items()]
    return render_card(
        title="Prescription safety checker (knowledge base + learned interaction model)",
        manifest=manifest,
        summary=CARD_SUMMARY,
        intended_use=CARD_INTENDED_USE,
        out_of_scope=CARD_OUT_OF_SCOPE,
        data_lines=[
            f"Sources: {manifest['data']['source']} ({', '.join(manifest['data']['sources'])}).",
            "Curated tables (doses, pregnancy, lactation, allergy groups and cross-reactivity, "
            "age, conditions, Chinese names, combination products) are written by the project from "
            "clinical knowledge, each row with its source; they need pharmacist review.",
            f"Behavioural cases: {behaviour['passed']}/{behaviour['cases']} pass.",
        ],
        metric_sections=[
            ("Knowledge Base", table(kb_rows, ["table", "rows"])),
            (
                "Learned Interaction Model vs Class-Pair Prior (held-out pairs)",
                table(
                    split_rows,
                    ["split", "model", "macro_f1", "major_recall", "auroc", "n_graded", "n_neg"],
                ),
            ),
        ],
        limitations=_limitations(manifest["postprocessing"]["novelty_threshold"]),
        usage=CARD_USAGE,
        owner="Clinical pharmacy ML team (pharmacy-ml@hospital.example)",
    )


def _limitations(novelty_threshold: float) -> list[str]:
    """What the checker cannot do, with the similarity below which the model abstains."""
    return [
        "Drug names resolve through the alias tables only; misspellings are reported with "
        "suggestions, never guessed.",
        "Dose limits exist for the curated common drugs only; combination products are not "
        "dose-checked.",
        "ANSM mechanism and management text is French, as published. ANSM grades some pairs "
        "by dose or context (aspirin + oral anticoagulants: contraindicated at "
        "anti-inflammatory doses, a precaution at antiplatelet doses); the checker shows the "
        "strictest grade and says so in the alert message.",
        "The model's severity is learned from DDInter's grades, which are coarse and sometimes "
        "disagree with ANSM. It abstains for drugs without features or whose features are "
        f"less similar than {novelty_threshold} to every "
        "training drug; for pairs of two new drugs its severity is only a little better than "
        "the class-pair prior (see the table).",
        "Splits: `random` holds out random DDInter pairs; `one_new`/`two_new` hold out 10% "
        "of the drugs with every pair they have, and test pairs with one or two of them. "
        "Negatives are unlisted pairs of drugs with at least 20 DDInter partners.",
    ]
