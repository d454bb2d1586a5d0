"""Prescription checker on the held-out, hand-written scenario set
(data/scenarios/prescription/scenarios.jsonl; its README defines every rule used here).

    python bench/prescription_scenarios.py [--bundle models/prescription/current]
        [--show-failures] [--out FILE]

Each scenario's `request` goes to the checker with its `patient_extra` merged in
(`with_patient_extra`; --no-patient-extra sends the request alone, as before):
`egfr` -> patient.egfr_ml_min_1_73m2, `creatinine_umol_l` -> patient.creatinine_umol_l,
`crcl_ml_min` -> patient.crcl_ml_min, `hepatic_impairment` -> patient.hepatic_impairment, and a
`schedule` note starting "daily:" or "weekly:" -> frequency "daily"/"weekly" on every
prescribed drug that has no frequency. Null values are not passed. The report still counts how
many failing scenarios have a non-empty `patient_extra`. A scenario passes when all its
constraints hold:

- must_resolve: the name is neither in `unresolved` nor the subject of an `unknown_drug` alert;
- must_alert: some alert of that type involves every listed drug, with severity >= min_severity
  and, when `interruptive` is true/false, the same `interruptive` flag;
- must_not_alert: no alert of that type involving every listed drug (a one-drug list: any alert
  of that type naming the drug) has a severity above max_severity; "none" forbids any severity;
- max_interruptive: at most that many interruptive alerts in the whole result (null: no limit).

Constraints are checked in that order (an unresolved name usually explains the rest), and the
first failing one is what --show-failures prints; the JSON keeps all of them.

Drug-name matching. The scenarios name drugs as lower-case INN generics without salts;
combination products under their components. The checker names canonical ingredients from its
knowledge base (DDInter/DrugBank names, mostly USAN: acetaminophen, meperidine, rifampin, ...).
An expected name matches an alert drug when, case-insensitively, after each is reduced to its
keys, they share a key. The keys of a name are:

1. the name, lower case, whitespace collapsed;
2. the same without a bracketed route ("miconazole (topical)" -> "miconazole", round 9) and
   without salt / ester words (`SALT_WORDS`: "warfarin sodium" -> "warfarin",
   "lithium carbonate" -> "lithium"), unless nothing else would be left (minerals keep their
   salt: "potassium chloride", "calcium carbonate");
3. for each of these, the preferred name of its synonym group (`SYNONYM_GROUPS`: paracetamol =
   acetaminophen, aspirin = acetylsalicylic acid, pethidine = meperidine, valproic acid =
   valproate = sodium valproate, ...).

An alert drug naming a combination counts as each of its components: names are split on "/",
"+", "|", ";", ",", "、" and " and " ("sulfamethoxazole/trimethoprim", "sacubitril and
valsartan"), and combination names without a separator are expanded by `COMBINATIONS`
(co-trimoxazole, co-amoxiclav, ...). An expected name that is itself a multi-ingredient product
(`EXPECTED_PRODUCTS`: oral rehydration salts) is matched by an alert naming any of its
ingredients.

Prints JSON (summary; --out holds it plus every failing scenario), then markdown tables.
Not a test: the pass rate is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCENARIOS = ROOT / "data/scenarios/prescription/scenarios.jsonl"
SEVERITY_RANK = {"none": 0, "minor": 1, "moderate": 2, "major": 3, "contraindicated": 4}

# Salt, ester and hydrate words dropped from a name (only while another word remains).
SALT_WORDS = frozenset(
    [
        "hydrochloride",
        "dihydrochloride",
        "hcl",
        "hydrobromide",
        "hydrogen",
        "bisulfate",
        "bisulphate",
        "sulfate",
        "sulphate",
        "sodium",
        "disodium",
        "trisodium",
        "potassium",
        "calcium",
        "magnesium",
        "besylate",
        "besilate",
        "maleate",
        "mesylate",
        "mesilate",
        "succinate",
        "tartrate",
        "bitartrate",
        "citrate",
        "carbonate",
        "acetate",
        "phosphate",
        "fumarate",
        "furoate",
        "propionate",
        "dipropionate",
        "hyclate",
        "lactate",
        "gluconate",
        "bromide",
        "chloride",
        "monohydrate",
        "dihydrate",
        "trihydrate",
        "sesquihydrate",
        "hemihydrate",
        "anhydrous",
        "axetil",
        "etexilate",
        "erbumine",
        "arginine",
        "tert-butylamine",
        "mofetil",
        "pivoxil",
        "medoxomil",
        "cilexetil",
        "decanoate",
        "valerate",
        "embonate",
        "pamoate",
    ]
)

# Names of one active moiety; the first is the preferred key (the scenarios' INN spelling).
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("paracetamol", "acetaminophen", "apap"),
    ("aspirin", "acetylsalicylic acid", "asa"),
    ("pethidine", "meperidine"),
    ("rifampicin", "rifampin"),
    ("valaciclovir", "valacyclovir"),
    ("aciclovir", "acyclovir"),
    ("alendronic acid", "alendronate"),
    ("risedronic acid", "risedronate"),
    ("ibandronic acid", "ibandronate"),
    ("zoledronic acid", "zoledronate"),
    ("cholecalciferol", "colecalciferol", "vitamin d3"),
    (
        "valproic acid",
        "valproate",
        "sodium valproate",
        "valproate sodium",
        "divalproex",
        "valproate semisodium",
        "semisodium valproate",
    ),
    ("nitroglycerin", "glyceryl trinitrate", "nitroglycerine", "gtn"),
    ("levothyroxine", "levothyroxine sodium", "l-thyroxine", "thyroxine"),
    ("isosorbide mononitrate", "isosorbide-5-mononitrate", "isosorbide 5-mononitrate"),
    ("sulfamethoxazole", "sulphamethoxazole"),
    ("amoxicillin", "amoxycillin"),
    ("furosemide", "frusemide"),
    ("salbutamol", "albuterol"),
    ("ciclosporin", "cyclosporine", "cyclosporin"),
    ("glibenclamide", "glyburide"),
    ("levodopa", "l-dopa"),
    ("dabigatran", "dabigatran etexilate"),
    ("lithium", "lithium carbonate", "lithium citrate", "lithium cation", "lithium ion"),
    ("potassium chloride", "potassium", "potassium cation", "potassium ion"),
    (
        "ferrous sulfate",
        "ferrous sulphate",
        "iron sulfate",
        "iron(ii) sulfate",
        "ferrous sulfate anhydrous",
    ),
    ("diosmectite", "dioctahedral smectite", "smectite", "montmorillonite"),
    ("oral rehydration salts", "ors", "oral rehydration salt"),
    ("epinephrine", "adrenaline"),
    ("norepinephrine", "noradrenaline"),
    ("lidocaine", "lignocaine"),
    # Round 5: more INN / USAN (and BAN) spellings of one moiety; the checker names DDInter's
    # (mostly USAN) spelling.
    ("indometacin", "indomethacin"),
    ("cefalexin", "cephalexin"),
    ("cefalotin", "cephalothin"),
    ("cefazolin", "cephazolin"),
    ("chlorphenamine", "chlorpheniramine"),
    ("phenobarbital", "phenobarbitone"),
    ("beclometasone", "beclomethasone"),
    ("mesalazine", "mesalamine"),
    ("sulfasalazine", "sulphasalazine"),
    ("trihexyphenidyl", "benzhexol"),
    ("clomifene", "clomiphene"),
    ("hydroxycarbamide", "hydroxyurea"),
    ("isoprenaline", "isoproterenol"),
    ("dosulepin", "dothiepin"),
    ("dexamfetamine", "dextroamphetamine"),
    ("methylthioninium chloride", "methylene blue"),
    ("ethinylestradiol", "ethinyl estradiol"),
    ("estradiol", "oestradiol"),
    ("colistimethate", "colistimethate sodium"),
    ("ciclopirox", "ciclopirox olamine"),
    ("amfetamine", "amphetamine"),
    ("bendroflumethiazide", "bendrofluazide"),
    ("thiamazole", "methimazole"),
    ("metamizole", "dipyrone", "metamizole sodium"),
    ("tetracaine", "amethocaine"),
    # Round 6: vitamin, insulin, ester and brand-family names the checker spells differently.
    ("phytomenadione", "phytonadione", "phylloquinone", "vitamin k1"),
    ("cyanocobalamin", "vitamin b12"),
    ("thiamine", "vitamin b1"),
    ("pyridoxine", "vitamin b6"),
    ("ascorbic acid", "vitamin c"),
    ("ergocalciferol", "vitamin d2"),
    ("insulin aspart", "insulin aspart (aspart)"),
    ("insulin human", "insulin human (regular)", "regular insulin", "human insulin"),
    ("insulin isophane", "insulin human (isophane)", "nph insulin", "isophane insulin"),
    ("insulin lispro", "insulin lispro (lispro)"),
    ("tenofovir disoproxil", "tenofovir disoproxil fumarate", "tenofovir df", "tenofovir"),
    ("salmon calcitonin", "calcitonin salmon", "calcitonin"),
    ("hyoscine butylbromide", "butylscopolamine", "scopolamine butylbromide"),
    ("ursodeoxycholic acid", "ursodiol"),
    ("macrogol", "polyethylene glycol", "macrogol 4000", "polyethylene glycol 3350"),
    ("benzylpenicillin", "penicillin g"),
    ("phenoxymethylpenicillin", "penicillin v"),
    ("clavulanic acid", "clavulanate"),
    ("erythropoietin", "epoetin alfa", "epoetin"),
    ("glucose", "dextrose"),
    ("nitroprusside", "sodium nitroprusside"),
    ("levamlodipine", "levoamlodipine", "s-amlodipine"),
    ("acetylcysteine", "n-acetylcysteine"),
    ("bismuth subcitrate potassium", "bismuth potassium citrate", "colloidal bismuth subcitrate"),
    ("st john's wort", "st. john's wort", "hypericum perforatum"),
    ("aluminium hydroxide", "aluminum hydroxide"),
    # Round 13: aminophylline is theophylline ethylenediamine (80% theophylline): one active
    # moiety, whose interactions the checker carries under the name written.
    ("theophylline", "aminophylline", "theophylline ethylenediamine"),
)

# Combination names without a separator -> their ingredients (alert side).
COMBINATIONS: dict[str, tuple[str, ...]] = {
    "co-trimoxazole": ("sulfamethoxazole", "trimethoprim"),
    "cotrimoxazole": ("sulfamethoxazole", "trimethoprim"),
    "smz-tmp": ("sulfamethoxazole", "trimethoprim"),
    "co-amoxiclav": ("amoxicillin", "clavulanic acid"),
    "co-careldopa": ("carbidopa", "levodopa"),
    "co-beneldopa": ("benserazide", "levodopa"),
    # round 6
    "s-1": ("gimeracil", "oteracil", "tegafur"),
    "co-codamol": ("acetaminophen", "codeine"),
    "co-amilozide": ("amiloride", "hydrochlorothiazide"),
}

# Expected names that are multi-ingredient products: an alert on any ingredient involves them.
EXPECTED_PRODUCTS: dict[str, tuple[str, ...]] = {
    "oral rehydration salts": (
        "sodium chloride",
        "potassium chloride",
        "sodium citrate",
        "trisodium citrate",
        "sodium bicarbonate",
        "glucose",
        "anhydrous glucose",
        "dextrose",
    ),
}

_GROUP_OF = {name: group[0] for group in SYNONYM_GROUPS for name in group}
_SPLIT = re.compile(r"\s*(?:/|\+|\||;|,|、|\band\b)\s*")


def _norm(name: str) -> str:
    return " ".join(name.lower().split())


# A route in brackets after a knowledge-base name ("miconazole (topical)", "timolol
# (ophthalmic)"): DDInter's route-specific entries name the same drug.
_ROUTE_QUALIFIER = re.compile(
    r"\s*\((topical|ophthalmic|nasal|otic|inhalation|inhaled|oral|vaginal|rectal|systemic)\)$"
)


def name_keys(name: str) -> frozenset[str]:
    """Keys of one drug name (see the module docstring); two names match when keys overlap."""
    full = _norm(name)
    variants = {full}
    # round 9: a DDInter route-specific entry ("miconazole (topical)") is still that drug
    unrouted = _ROUTE_QUALIFIER.sub("", full)
    if unrouted and unrouted != full:
        variants.add(unrouted)
        full = unrouted
    words = full.split()
    kept = [w for w in words if w not in SALT_WORDS]
    if kept and len(kept) < len(words):
        variants.add(" ".join(kept))
    return frozenset(_GROUP_OF.get(v, v) for v in variants)


def alert_drug_keys(drugs: Iterable[str]) -> frozenset[str]:
    """Keys of every drug an alert names, combinations counted as each of their components."""
    keys: set[str] = set()
    for drug in drugs:
        parts = {_norm(drug), *(p for p in _SPLIT.split(_norm(drug)) if p)}
        for part in list(parts):
            parts.update(COMBINATIONS.get(part, ()))
        for part in parts:
            keys |= name_keys(part)
    return frozenset(keys)


def expected_keys(name: str) -> frozenset[str]:
    """Keys an alert may carry for it to involve one expected drug."""
    keys = set(name_keys(name))
    for ingredient in EXPECTED_PRODUCTS.get(_GROUP_OF.get(_norm(name), _norm(name)), ()):
        keys |= name_keys(ingredient)
    return frozenset(keys)


def involves(alert: Mapping[str, Any], drugs: Iterable[str]) -> bool:
    """Whether an alert names every one of the expected drugs."""
    have = alert_drug_keys(alert["drugs"])
    return all(expected_keys(drug) & have for drug in drugs)


def _describe(alert: Mapping[str, Any]) -> str:
    flag = ", interruptive" if alert["interruptive"] else ""
    return f"{alert['type']} {alert['severity']}{flag} on {'+'.join(alert['drugs'])}"


# An organ-function finding (renal, hepatic) is a `dose` alert when the dose is too high for the
# organ and a `contraindication` when the label forbids the drug there; the line format never said
# which a writer should expect, and writers differ, so in those two categories they are one type.
ORGAN_CATEGORIES = frozenset({"renal", "hepatic"})
ORGAN_TYPES = frozenset({"dose", "contraindication"})


def _same_type(alert: Mapping[str, Any], wanted: str, category: str | None) -> bool:
    if category in ORGAN_CATEGORIES and wanted in ORGAN_TYPES:
        return alert["type"] in ORGAN_TYPES
    return alert["type"] == wanted


def evaluate(
    expect: Mapping[str, Any], result: Mapping[str, Any], category: str | None = None
) -> list[dict[str, str]]:
    """Failing constraints of one scenario, in checking order; empty when it passes.

    Args:
        expect: the scenario's `expect` object.
        result: a CheckResult as a dict (`alerts` with type/severity/drugs/interruptive,
            `unresolved`).
        category: the scenario's category; in `renal` and `hepatic`, `dose` and
            `contraindication` alerts count as one type.

    Each failure has `constraint` (must_resolve, must_alert, ...), `kind` (unresolved_name,
    missed_alert, wrong_severity, wrong_interruptive, false_alarm, too_many_interruptive) and
    `text`, the failure in words.
    """
    alerts = result["alerts"]
    failures = _unresolved_names(expect.get("must_resolve", []), result)
    for want in expect.get("must_alert", []):
        missing = _missing_alert(want, alerts, category)
        if missing is not None:
            failures.append(missing)
    for limit in expect.get("must_not_alert", []):
        false_alarm = _false_alarm(limit, alerts, category)
        if false_alarm is not None:
            failures.append(false_alarm)
    too_many = _too_many_interruptive(expect.get("max_interruptive"), alerts)
    if too_many is not None:
        failures.append(too_many)
    return failures


def _unresolved_names(names: Iterable[str], result: Mapping[str, Any]) -> list[dict[str, str]]:
    """must_resolve: each expected name that is unresolved or the subject of an unknown_drug
    alert."""
    unknown = set(result["unresolved"]) | {
        name for a in result["alerts"] if a["type"] == "unknown_drug" for name in a["drugs"]
    }
    return [
        {
            "constraint": "must_resolve",
            "kind": "unresolved_name",
            "text": f"name '{name}' not resolved",
        }
        for name in names
        if name in unknown
    ]


def _missing_alert(
    want: Mapping[str, Any], alerts: list[Mapping[str, Any]], category: str | None = None
) -> dict[str, str] | None:
    """must_alert: None when an alert of the type, severity and interruptive flag wanted
    involves every listed drug; else what came closest (wrong flag, too weak, none at all)."""
    drugs, floor = want["drugs"], SEVERITY_RANK[want["min_severity"]]
    label = f"{want['type']} >= {want['min_severity']} on {' + '.join(drugs)}"
    candidates = [a for a in alerts if _same_type(a, want["type"], category) and involves(a, drugs)]
    strong = [a for a in candidates if SEVERITY_RANK[a["severity"]] >= floor]
    flag = want.get("interruptive")
    right = [a for a in strong if flag is None or a["interruptive"] == flag]
    if right:
        return None
    if strong:
        kind = "wrong_interruptive"
        text = (
            f"missing {label} with interruptive={flag}: "
            f"got {'; '.join(_describe(a) for a in strong)}"
        )
    elif candidates:
        kind = "wrong_severity"
        text = f"missing {label}: got {'; '.join(_describe(a) for a in candidates)}"
    else:
        kind = "missed_alert"
        other = [a for a in alerts if a["type"] != "unknown_drug" and involves(a, drugs)]
        text = f"missing {label}: no {want['type']} alert on these drugs" + (
            f" (other alerts on them: {'; '.join(_describe(a) for a in other)})" if other else ""
        )
    return {"constraint": "must_alert", "kind": kind, "text": text}


def _false_alarm(
    limit: Mapping[str, Any], alerts: list[Mapping[str, Any]], category: str | None = None
) -> dict[str, str] | None:
    """must_not_alert: the alerts of the type on the listed drugs above max_severity, if any."""
    drugs, ceiling = limit["drugs"], SEVERITY_RANK[limit["max_severity"]]
    offending = [
        a
        for a in alerts
        if _same_type(a, limit["type"], category)
        and involves(a, drugs)
        and SEVERITY_RANK[a["severity"]] > ceiling
    ]
    if not offending:
        return None
    return {
        "constraint": "must_not_alert",
        "kind": "false_alarm",
        "text": (
            f"{limit['type']} on {' + '.join(drugs)} must be at most "
            f"{limit['max_severity']}: got "
            f"{'; '.join(_describe(a) for a in offending)}"
        ),
    }


def _too_many_interruptive(
    most: int | None, alerts: list[Mapping[str, Any]]
) -> dict[str, str] | None:
    """max_interruptive: more interruptive alerts in the whole result than allowed."""
    interruptive = [a for a in alerts if a["interruptive"]]
    if most is None or len(interruptive) <= most:
        return None
    return {
        "constraint": "max_interruptive",
        "kind": "too_many_interruptive",
        "text": (
            f"{len(interruptive)} interruptive alerts, at most {most} allowed: "
            f"{'; '.join(_describe(a) for a in interruptive)}"
        ),
    }


def score(scenarios: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pass counts overall and per category, failures and unresolved names (plain dicts)."""
    per_category: dict[str, dict[str, Any]] = {}
    failing: list[dict[str, Any]] = []
    unresolved: set[str] = set()
    for scenario, result in zip(scenarios, results, strict=True):
        cat = per_category.setdefault(scenario["category"], {"n": 0, "passed": 0})
        cat["n"] += 1
        unresolved.update(result["unresolved"])
        failures = (
            [result["error"]]
            if "error" in result
            else evaluate(scenario["expect"], result, scenario["category"])
        )
        if not failures:
            cat["passed"] += 1
            continue
        failing.append(
            {
                "id": scenario["id"],
                "category": scenario["category"],
                "patient_extra": bool(scenario.get("patient_extra")),
                "first": failures[0]["text"],
                "first_kind": failures[0]["kind"],
                "failures": failures,
            }
        )
    for cat in per_category.values():
        cat["rate"] = cat["passed"] / cat["n"]
    n = len(scenarios)
    passed = n - len(failing)
    by_prefix: dict[str, list[str]] = {"drug": [], "condition": [], "allergy": []}
    for name in sorted(unresolved):
        prefix, _, rest = name.partition(": ")
        if prefix in ("condition", "allergy") and rest:
            by_prefix[prefix].append(rest)
        else:
            by_prefix["drug"].append(name)
    return {
        "n": n,
        "passed": passed,
        "pass_rate": passed / n if n else 0.0,
        "per_category": dict(sorted(per_category.items())),
        "failing": len(failing),
        "failing_with_patient_extra": sum(f["patient_extra"] for f in failing),
        "failure_kinds_first": dict(Counter(f["first_kind"] for f in failing).most_common()),
        "failure_kinds_all": dict(
            Counter(x["kind"] for f in failing for x in f["failures"]).most_common()
        ),
        "unresolved": {
            "distinct": len(unresolved),
            "drugs": by_prefix["drug"],
            "conditions": by_prefix["condition"],
            "allergies": by_prefix["allergy"],
        },
        "failures": failing,
    }


EXTRA_PATIENT_FIELDS = {
    "egfr": "egfr_ml_min_1_73m2",
    "creatinine_umol_l": "creatinine_umol_l",
    "crcl_ml_min": "crcl_ml_min",
    "hepatic_impairment": "hepatic_impairment",
}


def with_patient_extra(request: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The request with `patient_extra` moved into the checker's fields (see the docstring)."""
    merged = json.loads(json.dumps(request))
    patient = merged.setdefault("patient", {})
    for key, field in EXTRA_PATIENT_FIELDS.items():
        if extra.get(key) is not None:
            patient[field] = extra[key]
    schedule = (extra.get("schedule") or "").split(":", 1)[0].strip().lower()
    if schedule in ("daily", "weekly"):
        for order in merged.get("drugs", []):
            order.setdefault("frequency", schedule)
    return merged


def run_checker(
    bundle: Path, scenarios: list[dict[str, Any]], patient_extra: bool = True
) -> list[dict[str, Any]]:
    """The checker's answer to each scenario's request (with patient_extra merged in)."""
    from pydantic import ValidationError

    from prescription.predictor import PrescriptionPredictor
    from prescription.schema import CheckRequest

    predictor = PrescriptionPredictor.from_bundle(bundle, threads=1)
    results: list[dict[str, Any]] = []
    for scenario in scenarios:
        try:
            raw = scenario["request"]
            if patient_extra:
                raw = with_patient_extra(raw, scenario.get("patient_extra") or {})
            request = CheckRequest.model_validate(raw)
        except ValidationError as exc:
            error = {"constraint": "request", "kind": "request_rejected", "text": str(exc)}
            results.append({"alerts": [], "unresolved": [], "error": error})
            continue
        results.append(predictor.predict([request])[0].model_dump())
    return results


def vocabulary_gaps(bundle: Path, scenarios: list[dict[str, Any]]) -> list[str]:
    """Expected drug names that match no drug of the bundle's table (a synonym-map check)."""
    import csv

    with (bundle / "drugs.csv").open(encoding="utf-8", newline="") as handle:
        known = alert_drug_keys(row["drug"] for row in csv.DictReader(handle))
    names = {
        drug
        for s in scenarios
        for key in ("must_alert", "must_not_alert")
        for item in s["expect"][key]
        for drug in item["drugs"]
    }
    return sorted(name for name in names if not expected_keys(name) & known)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bundle", default=str(ROOT / "models/prescription/current"))
    parser.add_argument("--scenarios", default=str(SCENARIOS))
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument(
        "--no-patient-extra",
        action="store_true",
        help="send the request alone (the checker before it took renal/hepatic/schedule fields)",
    )
    parser.add_argument("--out", default=str(ROOT / "build/bench/prescription_scenarios.json"))
    args = parser.parse_args()
    os.chdir(ROOT)
    extra = not args.no_patient_extra
    results = run_scenarios(Path(args.bundle).resolve(), args.scenarios, extra)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    printed = {k: v for k, v in results.items() if k != "failures"}
    print(json.dumps(printed, indent=2, ensure_ascii=False))
    print()
    print_summary(results, extra)
    if args.show_failures:
        print_failures(results["failures"])


def run_scenarios(bundle: Path, scenarios_path: str, extra: bool) -> dict[str, Any]:
    """Check every scenario with the bundle; the scores with the bundle's provenance."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    scenarios = [
        json.loads(line)
        for line in Path(scenarios_path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    scored = score(scenarios, run_checker(bundle, scenarios, patient_extra=extra))
    return {
        "bundle": str(bundle),
        "bundle_version": manifest["bundle_version"],
        "git_commit": manifest.get("git_commit"),
        "data_source": manifest.get("data", {}).get("source"),
        "scenarios": str(scenarios_path),
        "patient_extra_passed": extra,
        **scored,
        "expected_names_not_in_bundle_drugs": vocabulary_gaps(bundle, scenarios),
    }


def print_summary(results: dict[str, Any], extra: bool) -> None:
    """Markdown: pass rates per category, failure kinds, names left unresolved."""
    print(
        f"Prescription scenarios, bundle {results['bundle_version']} "
        f"(commit {results['git_commit']}, {results['data_source']} data); "
        + ("patient_extra merged into the request\n" if extra else "request only\n")
    )
    print("| category | scenarios | passed | rate |\n|---|---|---|---|")
    for name, cat in results["per_category"].items():
        print(f"| {name} | {cat['n']} | {cat['passed']} | {cat['rate']:.1%} |")
    print(f"| **all** | {results['n']} | {results['passed']} | {results['pass_rate']:.1%} |")
    print(
        f"\n{results['failing']} failing, {results['failing_with_patient_extra']} of them with "
        "a non-empty patient_extra" + ("" if extra else " (not passed)")
    )
    print("\n| failure kind | scenarios (first failure) | constraints (all) |\n|---|---|---|")
    for kind, count in results["failure_kinds_all"].items():
        print(f"| {kind} | {results['failure_kinds_first'].get(kind, 0)} | {count} |")
    unresolved = results["unresolved"]
    print(f"\n{unresolved['distinct']} distinct names left unresolved:")
    for part in ("drugs", "conditions", "allergies"):
        print(f"- {part} ({len(unresolved[part])}): {', '.join(unresolved[part]) or '-'}")


def print_failures(failures: list[dict[str, Any]]) -> None:
    """Markdown: each failing scenario's first failing constraint (--show-failures)."""
    print("\n| id | category | patient_extra | first failing constraint | more |")
    print("|---|---|---|---|---|")
    for f in failures:
        text = f["first"].replace("|", "\\|")
        more = len(f["failures"]) - 1
        print(
            f"| {f['id']} | {f['category']} | {'yes' if f['patient_extra'] else ''} "
            f"| {text} | {f'+{more}' if more else ''} |"
        )


if __name__ == "__main__":
    main()
