"""The two evaluation tasks, full ranking only (every item is a candidate; never sampled negatives).

Cart completion (baskets, e.g. Ta-Feng): users are split by a hash of their id; for every basket
of two or more items of a held-out user, one item (seeded) is hidden; the model scores from the
rest of the basket (the cart) and the user's earlier baskets (the history). Cart items cannot be
recommended; the hidden item may be one the user bought before.

Next item (sequences, e.g. Amazon): leave-one-out; each user's last item is the test target and
the one before it the validation target; the input is everything before the target. Items in
the input are excluded from the ranking (the protocol of the SASRec and S3-Rec papers). Models
are tuned on the validation targets with training = every sequence minus its last two items;
for the test they are refitted, with the chosen settings, on every sequence minus its last item
(`TaskData.refit`), as a deployed model would be. `test_strict` keeps the first fit (the S3-Rec
code's protocol, which never trains on the validation item); both are reported.

Metrics: HR@10, NDCG@10 (1 / log2(rank + 2) for a 0-based rank inside the top 10) and catalogue
coverage (share of items that appear in at least one top-10 list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recommend.features import history_ages
from training.recommend.data import Baskets, encode, split_users
from training.recommend.models import Scorer

K = 10


@dataclass
class Cases:
    """Evaluation inputs and targets (item indices of the model's item map)."""

    carts: list[np.ndarray]
    histories: list[np.ndarray]
    ages: list[np.ndarray]
    targets: np.ndarray
    exclude_history: bool

    def __len__(self) -> int:
        return len(self.targets)

    def excluded(self) -> list[np.ndarray]:
        """Per case, the items the ranking masks besides the cart: the history for next item,
        nothing for cart completion."""
        if self.exclude_history:
            return list(self.histories)
        return [np.zeros(0, np.int64)] * len(self)

    def take(self, n: int, seed: int = 0) -> Cases:
        """A seeded subsample of at most n cases (for quick tuning)."""
        if n >= len(self):
            return self
        rows = np.sort(np.random.default_rng(seed).choice(len(self), n, replace=False))
        return Cases(
            [self.carts[i] for i in rows],
            [self.histories[i] for i in rows],
            [self.ages[i] for i in rows],
            self.targets[rows],
            self.exclude_history,
        )


@dataclass
class TaskData:
    """Training baskets and the validation and test cases of one task."""

    task: str
    train: Baskets
    validation: Cases
    test: Cases
    refit: Baskets | None = None  # next item: every sequence minus only its test item


def cart_completion(
    data: Baskets, seed: int, validation_percent: int = 10, test_percent: int = 10
) -> TaskData:
    """Held-out users' baskets with one item hidden; training = the other users' baskets."""
    splits = split_users(data.user_ids, validation_percent, test_percent)
    user_split = np.array(
        [
            "test"
            if u in splits["test"]
            else "validation"
            if u in splits["validation"]
            else "train"
            for u in data.user_ids
        ]
    )
    rng = np.random.default_rng(seed)
    by_user = data.user_baskets()
    cases: dict[str, tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[int]]] = {
        "validation": ([], [], [], []),
        "test": ([], [], [], []),
    }
    train_baskets = []
    for user, baskets in by_user.items():
        where = user_split[user]
        if where == "train":
            train_baskets.append(baskets)
            continue
        carts, histories, ages, targets = cases[where]
        previous: list[np.ndarray] = []
        for b in baskets:
            items = data.basket(int(b))
            if len(items) >= 2:
                hidden = int(rng.integers(len(items)))
                carts.append(np.delete(items, hidden))
                history, age = history_ages(previous)
                histories.append(history)
                ages.append(age)
                targets.append(int(items[hidden]))
            previous.append(items)
    train = data.subset(np.sort(np.concatenate(train_baskets)))
    made = {
        name: Cases(c, h, a, np.array(t, dtype=np.int64), exclude_history=False)
        for name, (c, h, a, t) in cases.items()
    }
    return TaskData("cart_completion", train, made["validation"], made["test"])


def next_item(data: Baskets) -> TaskData:
    """Leave-one-out on one-item-basket sequences; training = each sequence minus its last two."""
    by_user = data.user_baskets()
    keep = []
    keep_refit = []
    cases: dict[str, tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray], list[int]]] = {
        "validation": ([], [], [], []),
        "test": ([], [], [], []),
    }
    for baskets in by_user.values():
        sequence = [data.basket(int(b)) for b in baskets]
        keep.append(baskets[:-2])
        keep_refit.append(baskets[:-1])
        for name, cut in (("validation", len(sequence) - 2), ("test", len(sequence) - 1)):
            if cut < 1:
                continue
            history, age = history_ages(sequence[:cut])
            carts, histories, ages, targets = cases[name]
            carts.append(np.zeros(0, np.int64))
            histories.append(history)
            ages.append(age)
            targets.append(int(sequence[cut][0]))
    train = data.subset(np.sort(np.concatenate(keep)))
    made = {
        name: Cases(c, h, a, np.array(t, dtype=np.int64), exclude_history=True)
        for name, (c, h, a, t) in cases.items()
    }
    refit = data.subset(np.sort(np.concatenate(keep_refit)))
    return TaskData("next_item", train, made["validation"], made["test"], refit)


def rank_top_k(
    scores: np.ndarray, carts: Sequence[np.ndarray], excluded: Sequence[np.ndarray], k: int = K
) -> np.ndarray:
    """Top-k item indices per row, cart and excluded items masked [B, k]: best score first,
    equal scores by lower item index (the order the bundle graph's TopK returns them in)."""
    scores = scores.copy()
    for row, (cart, other) in enumerate(zip(carts, excluded, strict=True)):
        scores[row, cart] = -np.inf
        scores[row, other] = -np.inf
    k = min(k, scores.shape[1])
    if k < scores.shape[1]:
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        # argpartition picks among items tied with the k-th score arbitrarily: where more
        # are tied than fit, keep the lowest indices
        kth = np.take_along_axis(scores, top, axis=1).min(axis=1)[:, None]
        tied = scores == kth
        need = k - (scores > kth).sum(axis=1)
        for crowded in np.flatnonzero(tied.sum(axis=1) > need):
            better = np.flatnonzero(scores[crowded] > kth[crowded])
            first = np.flatnonzero(tied[crowded])[: need[crowded]]
            top[crowded] = np.concatenate([better, first])
    else:
        top = np.tile(np.arange(k), (len(scores), 1))
    top = np.sort(top, axis=1)
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1)


def hits_and_gains(top: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ranked lists `top` [B, k]: whether the target is in it, and its NDCG gain
    1 / log2(rank + 2) (0 when missed).

    Hand-written: sklearn's ndcg_score needs dense [B, n_items] relevance and score matrices
    without -inf masks; with one target the ideal DCG is 1, so this gain is its NDCG@k
    (tests/training/test_metric_libraries.py checks it against ndcg_score).
    """
    match = top == np.asarray(targets)[:, None]
    found = match.any(axis=1)
    return found, np.where(found, 1.0 / np.log2(match.argmax(axis=1) + 2), 0.0)


def top_k_metric(top: np.ndarray, targets: np.ndarray, metric: str) -> float:
    """ "hr@10" or "ndcg@10" of ranked lists against their targets."""
    found, gains = hits_and_gains(top, targets)
    return float(found.mean() if metric == "hr@10" else gains.mean())


def rank_cases(
    model: Scorer, cases: Cases, rows: Sequence[int], k: int = K
) -> tuple[np.ndarray, np.ndarray]:
    """The evaluation's view of cases[rows]: the model's scores [B, n_items] (nothing masked)
    and the top-k items `rank_top_k` ranks from them [B, k]."""
    carts = [cases.carts[i] for i in rows]
    histories = [cases.histories[i] for i in rows]
    scores = model.score_batch(carts, histories, [cases.ages[i] for i in rows])
    excluded = cases.excluded()
    return scores, rank_top_k(scores, carts, [excluded[i] for i in rows], k)


def evaluate(model: Scorer, cases: Cases, n_items: int, batch_size: int = 512) -> dict[str, float]:
    """HR@10, NDCG@10 and coverage of a model on cases."""
    hits = np.zeros(len(cases))
    gains = np.zeros(len(cases))
    shown = np.zeros(n_items, dtype=bool)
    for start in range(0, len(cases), batch_size):
        rows = list(range(start, min(start + batch_size, len(cases))))
        _, top = rank_cases(model, cases, rows)
        shown[top.ravel()] = True
        hits[rows], gains[rows] = hits_and_gains(top, cases.targets[rows])
    return {
        "hr@10": float(hits.mean()) if len(cases) else float("nan"),
        "ndcg@10": float(gains.mean()) if len(cases) else float("nan"),
        "coverage@10": float(shown.mean()),
        "n": float(len(cases)),
    }


__all__ = [
    "Cases",
    "K",
    "TaskData",
    "cart_completion",
    "encode",
    "evaluate",
    "hits_and_gains",
    "next_item",
    "rank_cases",
    "rank_top_k",
    "top_k_metric",
]
