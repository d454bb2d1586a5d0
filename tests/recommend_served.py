"""Served scores against the training-side evaluation, for the same requests (recommend tests).

`differences(predictor, training, requests)` answers every request twice:

- served: the torch-free predictor, from the request itself (item ids in any order, repeated or
  unknown; a user id whose stored baskets the bundle holds, or none);
- training: the evaluation's own code (`training.recommend.evaluate.rank_cases`: the deployed
  training model's `score_batch`, then `rank_top_k`) on the case a request makes: the known
  items' indices in the request's order, repeats kept (as a held-out basket lists them), and the
  user's full history from the training data, with its ages.

and lists every way the two differ:

- the model inputs, bit for bit: the item graph's cart weights and history weights (training's
  `ItemGraph.inputs` row against the predictor's `cart`/`cart_weight`/`history`/
  `history_weight` feeds) and the sequence row (training's `encode_sequence` against the
  predictor's `item_seq`);
- the scores of every item the bundle's graph returns, within `ATOL`, and the masked items;
- the ranking: the response's items equal the evaluation's top k (exactly, ties by index), and
  the whole finite ranking of the catalogue equals the evaluation's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommend.features import history_ages
from recommend.predictor import RecommendPredictor
from recommend.schema import ScoreRequest
from training.recommend.evaluate import Cases, rank_cases

ATOL = 1e-6
# the response rounds scores to 6 decimals
RESPONSE_ATOL = ATOL + 5e-7
UNKNOWN_ITEM = "no-such-item"
UNKNOWN_USER = "no-such-user"


@dataclass
class TrainingSide:
    """What the training side knows: the deployed model, its item map and the users' baskets
    (item indices, oldest first) from the training data, and whether history is excluded."""

    model: Any
    item_ids: list[str]
    baskets: dict[str, list[np.ndarray]]
    exclude_history: bool

    def cases(self, requests: Sequence[ScoreRequest]) -> Cases:
        """The evaluation cases the requests make (see the module docstring)."""
        index = {item: i for i, item in enumerate(self.item_ids)}
        carts, histories, ages = [], [], []
        for request in requests:
            carts.append(np.array([index[i] for i in request.cart if i in index], np.int64))
            history, age = history_ages(self.baskets.get(request.user_id or "", []))
            histories.append(history)
            ages.append(age)
        targets = np.zeros(len(requests), np.int64)
        return Cases(carts, histories, ages, targets, self.exclude_history)


def request_set(
    item_ids: Sequence[str], carts: Sequence[np.ndarray], users: Sequence[str], seed: int = 0
) -> list[ScoreRequest]:
    """Requests over `carts` (item indices, as stored): as stored, reversed, reversed with
    repeats, shuffled with an unknown item; for no user, a user with history (`users`) and an
    unknown user, in turn; plus an empty cart and a cart of unknown items only."""
    rng = np.random.default_rng(seed)
    requests = []
    for i, cart in enumerate(carts):
        ids = [item_ids[j] for j in cart]
        form = i % 4
        if form == 1:
            ids = ids[::-1]
        elif form == 2:
            ids = ids[::-1] + ids[:2] + ids[:1]
        elif form == 3:
            ids = [ids[j] for j in rng.permutation(len(ids))]
            ids.insert(len(ids) // 2, UNKNOWN_ITEM)
        user = (None, users[i % len(users)], UNKNOWN_USER)[i % 3]
        requests.append(ScoreRequest(id=f"r{i}-form{form}", cart=ids, user_id=user, k=10))
    for user in (None, users[0]):
        requests.append(ScoreRequest(id=f"empty-{user}", cart=[], user_id=user, k=10))
        requests.append(
            ScoreRequest(id=f"unknown-{user}", cart=[UNKNOWN_ITEM, "x"], user_id=user, k=10)
        )
    return requests


def _parts(model: Any) -> tuple[Any, Any]:
    """(the item graph, the sequential model) of a deployed model; None where it has none."""
    graph = model if hasattr(model, "inputs") else getattr(model, "graph", None)
    if graph is None and hasattr(model, "graph_"):
        graph = model.graph_
    sequential = model if hasattr(model, "encode_sequence") else getattr(model, "sequential", None)
    return graph, sequential


def _dense(items: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, np.float32)
    np.add.at(out, items, weights)
    return out


def input_differences(
    feeds: dict[str, np.ndarray], model: Any, cases: Cases, i: int, n: int
) -> list[str]:
    """Where the predictor's feeds for case i differ from what the training model reads."""
    graph, sequential = _parts(model)
    problems = []
    if graph is not None:
        cart, history = graph.inputs([cases.carts[i]], [cases.histories[i]], [cases.ages[i]])
        served = _dense(feeds["cart"], feeds["cart_weight"], n)
        if not np.array_equal(np.asarray(cart.todense())[0], served):
            problems.append("cart weights differ")
        served = _dense(feeds["history"], feeds["history_weight"], n)
        if not np.array_equal(np.asarray(history.todense())[0], served):
            problems.append("history weights differ")
    if sequential is not None:
        row = sequential.encode_sequence(cases.histories[i], cases.carts[i])
        if not np.array_equal(row, feeds["item_seq"][0]):
            problems.append(f"sequence {feeds['item_seq'][0].tolist()} != {row.tolist()}")
    return problems


def score_differences(
    got: np.ndarray, items: np.ndarray, expected: np.ndarray, ranked: np.ndarray
) -> list[str]:
    """The graph's full answer (scores, items) against the evaluation's scores (masked) and
    full ranking."""
    problems = []
    finite = np.isfinite(got)
    masked = set(np.flatnonzero(~np.isfinite(expected)).tolist())
    if set(items[~finite].tolist()) != masked:
        problems.append("masked items differ")
    worst = float(np.max(np.abs(got[finite] - expected[items[finite]]), initial=0.0))
    if worst > ATOL:
        problems.append(f"scores differ by {worst:.3g}")
    if items[finite].tolist() != ranked[: int(finite.sum())].tolist():
        problems.append("the full ranking differs")
    return problems


def differences(
    predictor: RecommendPredictor, training: TrainingSide, requests: Sequence[ScoreRequest]
) -> list[str]:
    """Every difference between the served answers and the training side's (see the module
    docstring); empty when the two agree."""
    cases = training.cases(requests)
    n = len(predictor.items)
    rows = range(len(cases))
    scores, ranked = rank_cases(training.model, cases, rows, k=n)
    expected = scores.astype(np.float64)
    for i, (cart, other) in enumerate(zip(cases.carts, cases.excluded(), strict=True)):
        expected[i, cart] = -np.inf
        expected[i, other] = -np.inf
    problems = []
    for i, (request, result) in enumerate(zip(requests, predictor.predict(requests), strict=True)):
        feeds, _ = predictor._feeds(cases.carts[i], predictor._baskets(request.user_id))
        got, items, _ = predictor._run(feeds, n)
        found = input_differences(feeds, training.model, cases, i, n)
        found += score_differences(got, items, expected[i], ranked[i])
        # the evaluation's top k, as `evaluate` ranks it (k below the catalogue size)
        _, top_k = rank_cases(training.model, cases, [i], k=request.k)
        top = [j for j in top_k[0].tolist() if np.isfinite(expected[i, j])]
        if [r.item_id for r in result.recommendations] != [training.item_ids[j] for j in top]:
            found.append("the response's top k differs")
        for r, j in zip(result.recommendations, top, strict=False):
            if abs(r.score - expected[i, j]) > RESPONSE_ATOL:
                found.append(f"response score of {r.item_id} differs")
        problems += [f"{request.id}: {p}" for p in found]
    return problems
