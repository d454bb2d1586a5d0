"""bench/triage_members.py scores ensembles of validation logits as the exported graph averages
them: the arithmetic is checked on logits whose right answers are worked out by hand."""

import numpy as np

from bench.triage_members import combinations, summary


def test_pairs_and_triples_average_the_members_logits() -> None:
    y = np.array([0, 1])
    logits = {
        # row 0 (class 0): the sentence net is right at 1.2, both n-gram nets say class 2 at 1.0
        # row 1 (class 1): the sentence net says class 2 at 0.9, both n-gram nets are right at 1.0
        "S13": np.array([[1.2, 0, 0], [0, 0, 0.9]]),
        "N13": np.array([[0, 0, 1.0], [0, 1.0, 0]]),
        "N14": np.array([[0, 0, 1.0], [0, 1.0, 0]]),
    }
    rows = {(r["members"], r["kind"]): r for r in combinations(logits, y)}
    assert rows[("S13", "single")]["validation_accuracy"] == 0.5
    assert rows[("N13", "single")]["validation_accuracy"] == 0.5
    # pair: row 0 1.2 vs 1.0, row 1 1.0 vs 0.9: both right
    assert rows[("S13+N13", "pair")]["validation_accuracy"] == 1.0
    # thirds: row 0 1.2 vs 2.0 is lost
    assert rows[("S13+N13+N14", "thirds")]["validation_accuracy"] == 0.5
    # half: the two n-gram nets share one vote, as in the pair: both right
    assert rows[("S13+N13+N14", "half")]["validation_accuracy"] == 1.0
    assert {kind for _, kind in rows} == {"single", "pair", "thirds", "half"}
    assert all(r["validation_top3"] >= r["validation_accuracy"] for r in rows.values())


def test_summary_means_each_sentence_networks_shapes() -> None:
    rows = [
        {"members": "S13+N13", "kind": "pair", "validation_accuracy": 0.8},
        {"members": "S13+N14", "kind": "pair", "validation_accuracy": 0.9},
        {"members": "S13+N13+N14", "kind": "thirds", "validation_accuracy": 0.7},
        {"members": "S13", "kind": "single", "validation_accuracy": 0.1},
    ]
    assert summary(rows) == {"S13_pair": 0.85, "S13_thirds": 0.7}
