"""Does the sentence family gain from more n-gram networks? Validation accuracy only.

The deployed family (`triage.tfidf_usem_mlp.v1` with `ngram_member: true`) averages the logits of
one sentence network and one n-gram-only network. This fits sentence networks and n-gram
networks at several seeds with the pipeline's own code (`_fit_self_trained`, self-training
included, the config's features and split) and scores, on the haodf validation split only, every
pair (the deployed shape) and every sentence network with two n-gram networks: averaged in
thirds, and with the two n-gram networks sharing half. No test row is scored: the choice this
informs is made on validation, as the pipeline's is.

    python bench/triage_members.py --data-dir ../shared/data [--sentence-seeds 13 14]
        [--ngram-seeds 13 14 15 16] [--out build/bench/triage_members.json]

Prints JSON, then a table. About 75 s a network on one thread.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# the project root before bench/, whose triage.py would shadow the triage package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
logger = logging.getLogger("bench.triage_members")


def fit_networks(
    config_path: str, data_dir: str, sentence_seeds: list[int], ngram_seeds: list[int]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Validation logits of each network ('S13', 'N14', ...) and the validation labels."""
    import torch

    from runtime.sentence_encoder import SentenceEncoder
    from training.config import load_config
    from training.seeds import set_seeds
    from training.triage import families
    from training.triage.data import load_triage_data
    from training.triage.embeddings import MemoSentenceEncoder
    from training.triage.tfidf import to_csr
    from training.triage.train import _featurizer

    torch.set_num_threads(1)
    config = load_config(config_path, [f"data.data_dir={data_dir}"])
    set_seeds(config.seed)
    data = load_triage_data(config.data)
    featurizer = _featurizer(config, data)
    assert featurizer is not None
    (model_config,) = [
        m for m in config.trained_models() if m.architecture == "triage.tfidf_usem_mlp.v1"
    ]
    sentences = MemoSentenceEncoder(
        SentenceEncoder.pinned(threads=1).load(), Path(config.output_dir) / "cache"
    )
    validation = data.part("validation")
    texts = list(validation["text"])
    x = to_csr(featurizer, texts, list(validation["age_bucket"]))
    dense = sentences.encode(texts)
    y = np.searchsorted(data.labels, validation["department"])
    logits: dict[str, np.ndarray] = {}
    jobs = [(seed, False) for seed in sentence_seeds] + [(seed, True) for seed in ngram_seeds]
    for seed, ngrams_only in jobs:
        started = time.perf_counter()
        set_seeds(seed)
        model, _ = families._fit_self_trained(
            model_config,
            config.model_copy(update={"seed": seed}),
            data,
            featurizer,
            embed=sentences.encode,
            ngrams_only=ngrams_only,
        )
        name = f"{'N' if ngrams_only else 'S'}{seed}"
        logits[name] = families._mlp_logits(model, x, None if ngrams_only else dense)
        logger.info("%s fitted in %.0f s", name, time.perf_counter() - started)
    sentences.save()
    return logits, y


def combinations(logits: dict[str, np.ndarray], y: np.ndarray) -> list[dict[str, Any]]:
    """Every single network, pair and sentence + two n-gram networks, scored."""
    rows: list[dict[str, Any]] = []
    sentence = sorted(k for k in logits if k.startswith("S"))
    ngram = sorted(k for k in logits if k.startswith("N"))
    for name in sentence + ngram:
        rows.append({"members": name, "kind": "single", **_scored(logits[name], y)})
    for s in sentence:
        for n in ngram:
            pair = (logits[s] + logits[n]) / 2
            rows.append({"members": f"{s}+{n}", "kind": "pair", **_scored(pair, y)})
        for a, b in itertools.combinations(ngram, 2):
            thirds = (logits[s] + logits[a] + logits[b]) / 3
            half = (logits[s] + (logits[a] + logits[b]) / 2) / 2
            rows.append({"members": f"{s}+{a}+{b}", "kind": "thirds", **_scored(thirds, y)})
            rows.append({"members": f"{s}+{a}+{b}", "kind": "half", **_scored(half, y)})
    return rows


def _scored(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Top-1 and top-3 accuracy as the pipeline computes them (softmax keeps each row's order)."""
    from training.triage.evaluate import core_metrics
    from training.triage.families import _probabilities

    metrics = core_metrics(_probabilities(logits), y)
    return {
        "validation_accuracy": round(metrics["accuracy"], 4),
        "validation_top3": round(metrics["top3_accuracy"], 4),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per sentence network: mean validation accuracy of its pairs and of its triples."""
    out: dict[str, list[float]] = {}
    for row in rows:
        if row["kind"] != "single":
            key = f"{row['members'].split('+')[0]}_{row['kind']}"
            out.setdefault(key, []).append(row["validation_accuracy"])
    return {key: round(float(np.mean(values)), 4) for key, values in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/triage.yaml")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--sentence-seeds", type=int, nargs="+", default=[13, 14])
    parser.add_argument("--ngram-seeds", type=int, nargs="+", default=[13, 14, 15, 16])
    parser.add_argument("--out", default="build/bench/triage_members.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logits, y = fit_networks(args.config, args.data_dir, args.sentence_seeds, args.ngram_seeds)
    rows = combinations(logits, y)
    report = {"validation_rows": len(y), "rows": rows, "mean_by_shape": summary(rows)}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(json.dumps(report["mean_by_shape"], indent=1))
    print("\n| members | shape | validation accuracy | top-3 |\n|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['members']} | {row['kind']} | {row['validation_accuracy']} |"
            f" {row['validation_top3']} |"
        )


if __name__ == "__main__":
    main()
