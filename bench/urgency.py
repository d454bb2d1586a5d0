"""Urgency benchmark: emergency recall on written vignettes, false alarms on look-alikes and on real
haodf requests, invariance to invisible characters, and the latency the decision adds.

    python bench/urgency.py [--split SPLIT|all]
                            [--bundle models/triage/current] [--rules bundle|packaged]
                            [--data-dir ../shared/data] [--show-misses] [--show-fires N]
                            [--out FILE]

SPLIT is a vignette file's name without ``.jsonl``, one of ``SPLITS`` below (``--help`` lists
them; a test checks that every vignette file but the training-only ones is among them).

Vignettes: ``data/vignettes/urgency/tune.jsonl`` (rules were tuned on it), ``dev.jsonl`` (a second
writer's messier wording, written after the first tuning round; used for the second round and for
the backstop's threshold), ``retired_test.jsonl`` (written first by a separate writer and untouched
for two rounds; measured, then retired to tuning in the third), ``retired_holdout.jsonl`` (the third
round's untouched split, retired to tuning in the fourth), ``retired_holdout_r4.jsonl`` (the fourth
round's, retired to tuning in the fifth), ``retired_holdout_r5.jsonl`` (the fifth round's, retired
to tuning in the sixth), ``retired_holdout_r6.jsonl`` (the sixth round's, retired to tuning in the
seventh), ``retired_holdout_r7.jsonl`` (the seventh round's, retired to tuning in the eighth),
``retired_holdout_r8.jsonl`` (the eighth round's, retired to tuning in the ninth),
``retired_holdout_r9.jsonl`` (the ninth round's, retired to tuning in the tenth),
``retired_holdout_r10.jsonl`` (the tenth round's, retired to tuning in the eleventh),
``retired_holdout_r11.jsonl`` (the eleventh round's, retired to tuning in the twelfth),
``retired_holdout_r12.jsonl`` (the twelfth round's, retired to tuning in the thirteenth),
``retired_holdout_r14.jsonl`` (a second fresh pair's, run once on the round-13 version,
then retired to tuning in the fourteenth). From there on one rule names them:
``retired_holdout_rN.jsonl`` (with ``retired_holdout_rNb.jsonl`` from r16 on) is the untouched
split, or pair, that judged round N-1, retired to tuning in round N; ``holdout.jsonl`` is the
round-13 untouched split (two fresh writers', blind to the rules, never used for tuning); the
other ``holdout_rN.jsonl`` / ``holdout_rNb.jsonl`` files are the untouched pair, written blind
during an earlier round (mostly round N-2), that judges round N-1 (``UNTOUCHED_VIGNETTES`` in
``training/config.py`` names them). Each file's README (``RETIRED_HOLDOUT_RN_README.md``,
``HOLDOUT_RN_README.md``) says who wrote it, how it was used and the figures it gave. Real
requests: the haodf20 rows of the triage config's hash split, reported per split: 'train' (rule
tuning was allowed to read fires there) and 'test' (held out). Without ``--bundle`` the packaged
rule table runs alone; with a bundle, its table and its learned backstop (when the bundle has one);
``--rules packaged`` puts the packaged table in the bundle's place (new rules beside a bundle's
trained backstop, while curating).

Latency is the time the urgency decision adds to a prediction, one text at a time on one
thread: normalising with offsets, the rules and, with a bundle, the backstop's vocabulary look-ups,
TF-IDF weights and graph. What the backstop shares with the department model is computed before
the clock starts and not counted, because the predictor computes it for every request anyway: the
sentence embedding and, when the department model is a char n-gram one, the text's n-gram keys
(``TextGrams``: ``TriagePredictor._scores`` builds them once and the department featurizer fills
them in before the backstop reads them; here the department featurizer fills them in too). With a
department model that reads no n-grams, the backstop builds its own keys inside the clock.

Prints JSON, then a markdown table. Targets are reported, not asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.features import TextGrams, age_bucket  # noqa: E402
from triage.text import normalise  # noqa: E402
from triage.urgency import EMERGENCY_LEVELS, UrgencyEngine  # noqa: E402

VIGNETTES = ROOT / "data" / "vignettes" / "urgency"
TARGETS = {
    "holdout_recall": 0.97,
    "lookalike_false_alarm_rate": 0.03,
    "haodf_emergency_rate": 0.015,
    "p99_added_ms": 1.0,
}
SPLITS = (
    "tune",
    "dev",
    "retired_test",
    "retired_holdout",
    "retired_holdout_r4",
    "retired_holdout_r5",
    "retired_holdout_r6",
    "retired_holdout_r7",
    "retired_holdout_r8",
    "retired_holdout_r9",
    "retired_holdout_r10",
    "retired_holdout_r11",
    "retired_holdout_r12",
    "retired_holdout_r14",
    "retired_holdout_r15",
    "retired_holdout_r16",
    "retired_holdout_r16b",
    "retired_holdout_r17",
    "retired_holdout_r17b",
    "retired_holdout_r18",
    "retired_holdout_r18b",
    "retired_holdout_r19",
    "retired_holdout_r19b",
    "retired_holdout_r20",
    "retired_holdout_r20b",
    "retired_holdout_r21",
    "retired_holdout_r21b",
    "retired_holdout_r22",
    "retired_holdout_r22b",
    "retired_holdout_r23",
    "retired_holdout_r23b",
    "retired_holdout_r24",
    "retired_holdout_r24b",
    "retired_holdout_r25",
    "retired_holdout_r25b",
    "retired_holdout_r26",
    "retired_holdout_r26b",
    "retired_holdout_r27",
    "retired_holdout_r27b",
    "retired_holdout_r28",
    "retired_holdout_r28b",
    "retired_holdout_r29",
    "retired_holdout_r29b",
    "retired_holdout_r30",
    "retired_holdout_r30b",
    "retired_holdout_r31",
    "retired_holdout_r31b",
    "retired_holdout_r32",
    "retired_holdout_r32b",
    "retired_holdout_r33",
    "retired_holdout_r33b",
    "retired_holdout_r34",
    "retired_holdout_r34b",
    "retired_holdout_r35",
    "retired_holdout_r35b",
    "retired_holdout_r36",
    "retired_holdout_r36b",
    "retired_holdout_r37",
    "retired_holdout_r37b",
    "retired_holdout_r38",
    "retired_holdout_r38b",
    "retired_holdout_r39",
    "retired_holdout_r39b",
    "retired_holdout_r40",
    "retired_holdout_r40b",
    "retired_holdout_r41",
    "retired_holdout_r41b",
    "retired_holdout_r42",
    "retired_holdout_r42b",
    "retired_holdout_r43",
    "retired_holdout_r43b",
    "retired_holdout_r44",
    "retired_holdout_r44b",
    "retired_holdout_r45",
    "retired_holdout_r45b",
    "retired_holdout_r46",
    "retired_holdout_r46b",
    "retired_holdout_r47",
    "retired_holdout_r47b",
    "retired_holdout_r48",
    "retired_holdout_r48b",
    "retired_holdout_r49",
    "retired_holdout_r49b",
    "retired_holdout_r50",
    "retired_holdout_r50b",
    "retired_holdout_r51",
    "retired_holdout_r51b",
    "retired_holdout_r52",
    "retired_holdout_r52b",
    "retired_holdout_r53",
    "retired_holdout_r53b",
    "retired_holdout_r54",
    "retired_holdout_r54b",
    "retired_holdout_r55",
    "retired_holdout_r55b",
    "retired_holdout_r56",
    "retired_holdout_r56b",
    "retired_holdout_r57",
    "retired_holdout_r57b",
    "retired_holdout_r58",
    "retired_holdout_r58b",
    "retired_holdout_r59",
    "retired_holdout_r59b",
    "holdout",
    "holdout_r60",
    "holdout_r60b",
)
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", " ", "\n", "\u3000"]

Assess = Callable[[str, int | None, str | None], tuple[str, list[str]]]


def load_vignettes(split: str) -> list[dict[str, Any]]:
    """Rows of one vignette split (one of ``SPLITS``)."""
    from training.triage.urgency import load_vignettes as read

    return read(VIGNETTES / f"{split}.jsonl")


def haodf_rows(data_dir: Path) -> list[dict[str, str]]:
    """haodf20 labelled rows with their hash split (the triage config's percentages)."""
    from training.triage.data import split_of

    path = data_dir / "triage" / "haodf20" / "train.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["split"] = split_of(row["id"], 10, 10)
    return rows


def _age(group: str) -> int | None:
    """haodf's decade bucket ('30+') as the decade's middle; '-1' (unknown) as None."""
    from training.triage.urgency import age_from_bucket

    return age_from_bucket(group.strip())


def engine_assess(engine: UrgencyEngine) -> Assess:
    def assess(text: str, age: int | None, sex: str | None) -> tuple[str, list[str]]:
        result = engine.assess(text, age, sex)
        return result.level, result.rule_ids

    return assess


def bundle_predictor(bundle: str, rules: str) -> Any:
    """The bundle's predictor; with ``rules="packaged"`` its rule table is the packaged one."""
    from triage.predictor import TriagePredictor

    predictor = TriagePredictor.from_bundle(bundle)
    if rules == "packaged":
        predictor.urgency = UrgencyEngine.default()
    return predictor


def bundle_assess(predictor: Any) -> Assess:
    from triage.schema import TriageRequest

    def assess(text: str, age: int | None, sex: str | None) -> tuple[str, list[str]]:
        request = TriageRequest(id="b", text=text, age=age, sex=sex)  # type: ignore[arg-type]
        result = predictor.predict([request])[0]
        return result.triage_level, [r.rule_id for r in result.reasons]

    return assess


def vignette_report(rows: list[dict[str, Any]], assess: Assess, show: bool) -> dict[str, Any]:
    emergencies = [r for r in rows if r["expected_urgency"] == "emergency"]
    routine = [r for r in rows if r["expected_urgency"] == "routine"]
    caught, ambulance_missed, level_exact, by_style = 0, [], 0, Counter()
    style_total: Counter[str] = Counter()
    misses, alarms = [], []
    for row in emergencies:
        level, rules = assess(row["text"], row.get("age"), row.get("sex"))
        style_total[row["style"]] += 1
        if level in EMERGENCY_LEVELS:
            caught += 1
            by_style[row["style"]] += 1
            level_exact += level == row["expected_level"]
        else:
            misses.append({"id": row["id"], "condition": row["condition"], "text": row["text"]})
            if row["expected_level"] == "emergency_ambulance":
                ambulance_missed.append(row["id"])
    false_alarms = 0
    for row in routine:
        level, rules = assess(row["text"], row.get("age"), row.get("sex"))
        if level in EMERGENCY_LEVELS:
            false_alarms += 1
            alarms.append(
                {"id": row["id"], "style": row["style"], "rules": rules, "text": row["text"]}
            )
    report: dict[str, Any] = {
        "emergencies": len(emergencies),
        "missed": len(emergencies) - caught,
        "recall": round(caught / max(1, len(emergencies)), 4),
        "level_exact_among_caught": round(level_exact / max(1, caught), 4),
        "ambulance_missed": ambulance_missed,
        "recall_by_style": {s: round(by_style[s] / n, 4) for s, n in sorted(style_total.items())},
        "lookalikes": len(routine),
        "false_alarm_count": false_alarms,
        "false_alarm_rate": round(false_alarms / max(1, len(routine)), 4),
    }
    if show:
        report["misses"] = misses
        report["false_alarms"] = alarms
    return report


def haodf_report(rows: list[dict[str, str]], assess: Assess, show_fires: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for split in ("train", "test"):
        subset = [r for r in rows if r["split"] == split]
        fires = []
        for row in subset:
            level, rules = assess(row["text"], _age(row["age_group"]), None)
            if level in EMERGENCY_LEVELS:
                fires.append({"id": row["id"], "rules": rules, "text": row["text"][:200]})
        counts = Counter(rule for fire in fires for rule in fire["rules"][:1])
        out[split] = {
            "rows": len(subset),
            "emergency_rate": round(len(fires) / max(1, len(subset)), 4),
            "top_rules": counts.most_common(12),
        }
        if show_fires and split == "train":
            random.Random(0).shuffle(fires)
            out[split]["sample"] = fires[:show_fires]
    return out


def invariance(rows: list[dict[str, Any]], assess: Assess) -> dict[str, Any]:
    """Insert each invisible or spacing character at every position inside each emergency
    vignette's first 12 characters: the urgency must never change."""
    changed, checked = 0, 0
    for row in rows:
        if row["expected_urgency"] != "emergency":
            continue
        base = assess(row["text"], row.get("age"), row.get("sex"))[0] in EMERGENCY_LEVELS
        text = row["text"]
        for char in INVISIBLE:
            for at in range(1, min(len(text), 12)):
                if char in " \n\u3000" and (_latin(text[at - 1]) or _latin(text[at])):
                    continue  # a space inside an English word or a number makes two
                varied = text[:at] + char + text[at:]
                checked += 1
                got = assess(varied, row.get("age"), row.get("sex"))[0] in EMERGENCY_LEVELS
                changed += got != base
    return {"variants": checked, "urgency_changed": changed}


def _latin(char: str) -> bool:
    """Whether a character is a Latin letter or digit once normalised ("Ｂ", "３" too)."""
    return normalise(char)[:1].isascii() and normalise(char)[:1].isalnum()


def latency(
    texts: list[tuple[str, int | None]], engine: UrgencyEngine, predictor: Any = None
) -> dict[str, Any]:
    """Time of the urgency decision alone, one text at a time on one thread: normalise with
    offsets + rules (judging every mention when the backstop reads them), and with a predictor
    its backstop's mask or context features, look-ups, weights and graph (the shared
    sentence embedding and n-gram keys are computed before the clock starts, as the department
    model computes them in `TriagePredictor.predict`). Also the two parts' own p99s."""
    from triage.text import normalise_with_offsets

    backstop = getattr(predictor, "backstop", None)
    denses, grams = _shared_inputs(texts, predictor)

    def decide(index: int) -> tuple[float, float, float]:
        start = time.perf_counter()
        text, age = texts[index]
        typed = normalise_with_offsets(text)
        # a backstop that reads the rules' mentions gets them from the same (one) assessment,
        # as TriagePredictor.predict does
        reads = backstop is not None and backstop.reads_mentions
        assessment = engine.assess(text, age, None, normalised=typed, keep_mentions=reads)
        ruled = time.perf_counter()
        if backstop is not None:
            shared = None if grams[index] is None else [grams[index]]
            row, masked = (
                backstop.from_assessment(assessment, typed.text) if reads else (None, None)
            )
            backstop.probabilities(
                [typed.text],
                [age_bucket(age)],
                denses[index],
                shared,
                None if row is None else row[None, :],
                None if masked is None else [masked],
            )
        return start, ruled, time.perf_counter()

    for index in range(min(50, len(texts))):
        decide(index)
    timings, rules, backstops = [], [], []
    for _ in range(5):
        for index in range(len(texts)):
            start, ruled, end = decide(index)
            timings.append((end - start) * 1000)
            rules.append((ruled - start) * 1000)
            backstops.append((end - ruled) * 1000)
    timings.sort()
    return {
        "calls": len(timings),
        "with_backstop": backstop is not None,
        "shared_ngrams": any(g is not None for g in grams),
        "p50_ms": round(timings[len(timings) // 2], 4),
        "p99_ms": round(timings[int(len(timings) * 0.99)], 4),
        "normalise_rules_p99_ms": _p99(rules),
        "backstop_p99_ms": _p99(backstops),
        "normalise_only_p50_ms": round(_time_normalise(texts), 4),
    }


def _p99(values: list[float]) -> float:
    return round(sorted(values)[int(len(values) * 0.99)], 4)


def _shared_inputs(
    texts: list[tuple[str, int | None]], predictor: Any
) -> tuple[list[Any], list[TextGrams | None]]:
    """Per text, what the predictor computes for the department model and the backstop reads:
    the sentence embedding (when the backstop reads one) and the n-gram keys, filled in by the
    department featurizer (when the department model reads n-grams)."""
    backstop = getattr(predictor, "backstop", None)
    denses: list[Any] = [None] * len(texts)
    grams: list[TextGrams | None] = [None] * len(texts)
    if backstop is None:
        return denses, grams
    if backstop.sentences is not None:
        denses = [backstop.sentences.encode([normalise(text)]) for text, _ in texts]
    featurizer = getattr(predictor.encoder, "featurizer", None)
    if featurizer is not None:
        for index, (text, age) in enumerate(texts):
            keys = TextGrams(normalise(text))
            featurizer.transform([keys.text], [age_bucket(age)], [keys])
            grams[index] = keys
    return denses, grams


def _time_normalise(texts: list[tuple[str, int | None]]) -> float:
    start = time.perf_counter()
    for text, _ in texts:
        normalise(text)
    return (time.perf_counter() - start) * 1000 / max(1, len(texts))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    parser.add_argument("--bundle", default=None, help="a triage bundle (rules + backstop)")
    parser.add_argument(
        "--rules",
        choices=["bundle", "packaged"],
        default="bundle",
        help="with --bundle: the bundle's rule table, or the packaged one beside its backstop",
    )
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("--show-fires", type=int, default=0)
    parser.add_argument("--no-haodf", action="store_true")
    parser.add_argument(
        "--no-invariance", action="store_true", help="skip the invisible-character variants"
    )
    parser.add_argument("--out", default=None)
    return parser.parse_args()


def measure(args: argparse.Namespace, splits: list[str]) -> dict[str, Any]:
    """Every figure of one run: vignette splits, haodf rates, invariance, latency."""
    predictor = bundle_predictor(args.bundle, args.rules) if args.bundle else None
    # the engine that decides: the bundle's (or the packaged table put in its place) or,
    # without a bundle, the packaged table alone
    engine = predictor.urgency if predictor is not None else UrgencyEngine.default()
    assess = bundle_assess(predictor) if predictor is not None else engine_assess(engine)
    report: dict[str, Any] = {"table": engine.version, "bundle": args.bundle, "targets": TARGETS}
    present = [split for split in splits if (VIGNETTES / f"{split}.jsonl").is_file()]
    for split in present:
        report[f"vignettes_{split}"] = vignette_report(
            load_vignettes(split), assess, args.show_misses
        )
    data_dir = Path(args.data_dir)
    if not args.no_haodf and (data_dir / "triage" / "haodf20" / "train.csv").is_file():
        report["haodf"] = haodf_report(haodf_rows(data_dir), assess, args.show_fires)
    all_rows = [row for split in present for row in load_vignettes(split)]
    if all_rows and not args.no_invariance:
        report["invariance"] = invariance(all_rows, assess)
    if all_rows:
        report["latency_vignettes"] = latency(
            [(r["text"], r.get("age")) for r in all_rows], engine, predictor
        )
    if "haodf" in report:
        rows = [r for r in haodf_rows(data_dir) if r["split"] == "test"]
        report["latency_haodf"] = latency(
            [(r["text"], _age(r["age_group"])) for r in rows], engine, predictor
        )
    return report


def print_table(report: dict[str, Any], splits: list[str]) -> None:
    print("\n| measure | value | target |\n|---|---|---|")
    for split in splits:
        part = report.get(f"vignettes_{split}")
        if part:
            print(f"| {split} emergency recall | {part['recall']} | >= 0.97 (holdout) |")
            print(f"| {split} ambulance missed | {len(part['ambulance_missed'])} | 0 |")
            print(f"| {split} look-alike false alarms | {part['false_alarm_rate']} | <= 0.03 |")
    for split, part in report.get("haodf", {}).items():
        print(f"| haodf {split} emergency rate | {part['emergency_rate']} | <= 0.015 |")
    if "invariance" in report:
        changed = report["invariance"]["urgency_changed"]
        print(f"| urgency changed by invisible chars | {changed} | 0 |")
    for key, name in (("latency_vignettes", "vignettes"), ("latency_haodf", "real requests")):
        if key in report:
            print(f"| urgency p99, {name} (ms) | {report[key]['p99_ms']} | <= 1 |")


def main() -> None:
    args = _arguments()
    splits = list(SPLITS) if args.split == "all" else [args.split]
    report = measure(args, splits)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print_table(report, splits)


if __name__ == "__main__":
    main()
