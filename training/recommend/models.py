"""The recommenders, all under one contract (implicit's idea: one interface, one contract test).

    model.fit(baskets) -> model
    model.score_batch(carts, histories, ages) -> scores [B, n_items]

`carts[i]` are the item indices in the cart, `histories[i]` the user's earlier items (oldest
first) and `ages[i]` how many baskets ago each was bought (0 = the latest basket). Ranking,
in-cart masking and top-k are done once, by `recommend` / the evaluation, never per model.

Every model here except SASRec is linear in its inputs and exports the same way: an `ItemGraph`,

    score = sum_{i in cart} C[i, :] + sum_t d^age_t (H[h_t, :] + r e_{h_t}) + b * popularity

with C and H item-item matrices pruned to each item's strongest neighbours, d a per-basket decay,
r a repeat bonus. That one form covers popularity (C = H = 0), item co-occurrence / item-kNN,
the first-order transition model (H = transitions), EASE, ALS (its fold-in, linearised) and any
blend of them (a weighted sum of graphs is a graph), and one ONNX graph serves them all.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator

from recommend.features import graph_inputs
from training.progress import progress
from training.recommend.data import Baskets

logger = logging.getLogger(__name__)


class Scorer(Protocol):
    """Anything that scores carts: a fitted model or an ItemGraph."""

    def score_batch(
        self,
        carts: Sequence[np.ndarray],
        histories: Sequence[np.ndarray],
        ages: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Scores [B, n_items] (higher is better); in-cart items are masked by the caller."""
        ...


class Recommender(Scorer, Protocol):
    """What every model offers; see the module docstring."""

    def fit(self, data: Baskets) -> Any:
        """Learn from the training baskets; returns self."""
        ...

    def score_batch(
        self,
        carts: Sequence[np.ndarray],
        histories: Sequence[np.ndarray],
        ages: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Scores [B, n_items] (higher is better); in-cart items are masked by the caller."""
        ...


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    """np.concatenate that accepts an empty list (-> an empty int64 array)."""
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def prune_rows(matrix: sparse.csr_matrix | np.ndarray, neighbours: int) -> sparse.csr_matrix:
    """Keep each row's `neighbours` largest entries (the bundle stores a fixed-width table)."""
    csr = sparse.csr_matrix(matrix)
    csr.eliminate_zeros()
    rows, cols, vals = [], [], []
    for r in range(csr.shape[0]):
        start, end = csr.indptr[r], csr.indptr[r + 1]
        if start == end:
            continue
        row_vals = csr.data[start:end]
        row_cols = csr.indices[start:end]
        if len(row_vals) > neighbours:
            keep = np.argpartition(-row_vals, neighbours - 1)[:neighbours]
            row_vals, row_cols = row_vals[keep], row_cols[keep]
        rows.append(np.full(len(row_vals), r))
        cols.append(row_cols)
        vals.append(row_vals)
    if not rows:
        return sparse.csr_matrix(csr.shape, dtype=np.float32)
    return sparse.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=csr.shape,
        dtype=np.float32,
    )


def _dense_prune(rows_of: Any, n: int, neighbours: int, chunk: int = 1024) -> sparse.csr_matrix:
    """Prune a dense n x n matrix computed chunk by chunk (rows_of(slice) -> dense block) without
    holding it whole: EASE and ALS item-item matrices are dense."""
    blocks = []
    for start in progress(range(0, n, chunk), f"item-item rows ({n} items)"):
        block = np.asarray(rows_of(slice(start, min(start + chunk, n))), dtype=np.float32)
        np.fill_diagonal(block[:, start : start + chunk], 0.0)  # an item never recommends itself
        blocks.append(prune_rows(np.maximum(block, 0.0), neighbours))
    return sparse.vstack(blocks).tocsr()


def neighbour_table(matrix: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """CSR rows -> (index int32 [n, N], value float32 [n, N]), each row's entries by value,
    largest first; padding points at the row itself with value 0, so it adds nothing (the
    bundle graph's fixed-width neighbour tables)."""
    n = matrix.shape[0]
    lengths = np.diff(matrix.indptr)
    width = max(int(lengths.max()) if n else 0, 1)
    index = np.repeat(np.arange(n, dtype=np.int32)[:, None], width, axis=1)
    value = np.zeros((n, width), dtype=np.float32)
    for row in range(n):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        order = np.argsort(-matrix.data[start:end], kind="stable")
        index[row, : end - start] = matrix.indices[start:end][order]
        value[row, : end - start] = matrix.data[start:end][order]
    return index, value


def _add_neighbours(
    scores: np.ndarray, table: tuple[np.ndarray, np.ndarray], items: np.ndarray, weights: np.ndarray
) -> None:
    """scores[neighbour] += value * weight for each item's neighbours, one at a time in table
    order (the graph's Gather, Mul and ScatterElements(add))."""
    index, value = table
    np.add.at(scores, index[items].ravel(), (value[items] * weights[:, None]).ravel())


@dataclass
class ItemGraph:
    """The linear scorer every non-sequential model reduces to (see the module docstring).

    Attributes:
        cart_matrix: C [n, n], neighbours of cart items.
        history_matrix: H [n, n], neighbours of history items.
        popularity: basket frequency, scaled to max 1 [n].
        history_decay: d, weight of an item bought `age` baskets ago is d ** age.
        history_limit: only the last `history_limit` baskets of history count.
        repeat_weight: r, bonus for items the user bought before.
        popularity_weight: b (never 0 in a bundle, so ties fall back to popularity).
        cart_size_power: cart items weigh |cart| ** -p each, so a big cart does not drown the
            history and popularity terms (0: plain sum).
        history_size_power: history items weigh (baskets used) ** -q, so a user with many
            baskets does not drown the cart (0: plain sum).
    """

    cart_matrix: sparse.csr_matrix
    history_matrix: sparse.csr_matrix
    popularity: np.ndarray
    history_decay: float = 0.7
    history_limit: int = 10
    repeat_weight: float = 0.0
    popularity_weight: float = 1e-3
    cart_size_power: float = 0.0
    history_size_power: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    _tables: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def n_items(self) -> int:
        """Number of items."""
        return int(self.popularity.shape[0])

    def inputs(
        self,
        carts: Sequence[np.ndarray],
        histories: Sequence[np.ndarray],
        ages: Sequence[np.ndarray] | None,
    ) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
        """Weighted cart [B, n] and decayed history weights [B, n], float32: each row the
        predictor's inputs for that request (`recommend.features.graph_inputs`: distinct cart
        items and their weights, the history's last baskets and theirs)."""
        n, batch = self.n_items, len(carts)
        rows: dict[str, list[np.ndarray]] = {"cart": [], "history": []}
        cols: dict[str, list[np.ndarray]] = {"cart": [], "history": []}
        vals: dict[str, list[np.ndarray]] = {"cart": [], "history": []}
        for i, (cart, history) in enumerate(zip(carts, histories, strict=True)):
            # without ages, every history item is a basket of its own
            age = ages[i] if ages is not None else np.arange(len(history))[::-1]
            one = graph_inputs(cart, history, age, self)
            for part, items, weights in (
                ("cart", one.cart, one.cart_weight),
                ("history", one.history, one.history_weight),
            ):
                rows[part].append(np.full(len(items), i, np.int64))
                cols[part].append(items)
                vals[part].append(weights)

        def matrix(part: str) -> sparse.csr_matrix:
            return sparse.csr_matrix(
                (
                    _concat(vals[part]).astype(np.float32),
                    (_concat(rows[part]), _concat(cols[part])),
                ),
                shape=(batch, n),
                dtype=np.float32,
            )

        return matrix("cart"), matrix("history")

    def base_scores(self) -> np.ndarray:
        """Every item's starting score, popularity_weight * popularity (float32)."""
        return (self.popularity_weight * self.popularity).astype(np.float32)

    def tables(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The cart and history neighbour tables (`neighbour_table`), built once."""
        if self._tables is None:
            self._tables = (
                neighbour_table(sparse.csr_matrix(self.cart_matrix)),
                neighbour_table(sparse.csr_matrix(self.history_matrix)),
            )
        return self._tables  # type: ignore[no-any-return]

    def score_batch(
        self,
        carts: Sequence[np.ndarray],
        histories: Sequence[np.ndarray],
        ages: Sequence[np.ndarray] | None = None,
        extra: np.ndarray | None = None,
    ) -> np.ndarray:
        """Scores [B, n_items] float32, to the bit as the bundle's graph computes them.

        Per request: the base scores (plus `extra[i]`, the hybrid's sequential scores), then
        each cart item's neighbours times its weight, each history item's, and the repeat
        bonus, added one by one in the graph's order, from the predictor's inputs
        (`recommend.features.graph_inputs`). Equal scores therefore tie in training exactly
        where they tie in the bundle.
        """
        cart_table, history_table = self.tables()
        base = self.base_scores()
        repeat = np.float32(self.repeat_weight)
        scores = np.empty((len(carts), self.n_items), np.float32)
        for i, (cart, history) in enumerate(zip(carts, histories, strict=True)):
            # without ages, every history item is a basket of its own
            age = ages[i] if ages is not None else np.arange(len(history))[::-1]
            one = graph_inputs(cart, history, age, self)
            row = base + extra[i] if extra is not None else base.copy()
            _add_neighbours(row, cart_table, one.cart, one.cart_weight)
            _add_neighbours(row, history_table, one.history, one.history_weight)
            if repeat:
                np.add.at(row, one.history, repeat * one.history_weight)
            scores[i] = row
        return scores


def _basket_matrix(data: Baskets) -> sparse.csr_matrix:
    """Baskets x items, binary."""
    matrix = sparse.csr_matrix(
        (np.ones(len(data.indices), np.float32), data.indices, data.indptr),
        shape=(data.n_baskets, data.n_items),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _user_matrix(data: Baskets) -> sparse.csr_matrix:
    """Users x items, binary (a user's baskets merged)."""
    basket_of_entry = np.repeat(np.arange(data.n_baskets), np.diff(data.indptr))
    users = data.basket_user[basket_of_entry]
    matrix = sparse.csr_matrix(
        (np.ones(len(users), np.float32), (users, data.indices)),
        shape=(len(data.user_ids), data.n_items),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _popularity(data: Baskets) -> np.ndarray:
    counts = data.item_counts()
    return (counts / max(counts.max(), 1.0)).astype(np.float32)


class GraphModel(BaseEstimator):  # type: ignore[misc]
    """Base of the models whose fit ends in an ItemGraph (`graph_`): they score through it."""

    graph_: ItemGraph

    def score_batch(
        self,
        carts: Sequence[np.ndarray],
        histories: Sequence[np.ndarray],
        ages: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Scores [B, n_items] of the fitted graph."""
        return self.graph_.score_batch(carts, histories, ages)


class Popularity(GraphModel):
    """Most bought items first (the fallback every other model also carries)."""

    def fit(self, data: Baskets) -> Popularity:
        """Count baskets per item."""
        n = data.n_items
        empty = sparse.csr_matrix((n, n), dtype=np.float32)
        self.graph_ = ItemGraph(empty, empty, _popularity(data), popularity_weight=1.0)
        return self


class ItemKNN(GraphModel):
    """Item co-occurrence / item-kNN over baskets or user histories.

    sim(i, j) = cooc(i, j) / (count_i ** alpha * count_j ** (1 - alpha) + shrink); alpha = 0 and
    shrink = 0 give P(j | i)-like conditional co-occurrence, alpha = 0.5 cosine.

    Args:
        context: "basket" (bought together) or "user" (bought by the same user).
        alpha: asymmetry of the normalisation.
        shrink: damps similarities of rare pairs.
        neighbours: kept per item.
        history_weight: weight of the history channel relative to the cart.
        history_decay: per-basket decay of history items.
        repeat_weight: bonus for items in the user's history.
        popularity_weight: popularity added to the scores.
    """

    def __init__(
        self,
        context: str = "basket",
        alpha: float = 0.5,
        shrink: float = 10.0,
        neighbours: int = 100,
        history_weight: float = 0.3,
        history_decay: float = 0.7,
        repeat_weight: float = 0.0,
        popularity_weight: float = 1e-3,
    ) -> None:
        self.context = context
        self.alpha = alpha
        self.shrink = shrink
        self.neighbours = neighbours
        self.history_weight = history_weight
        self.history_decay = history_decay
        self.repeat_weight = repeat_weight
        self.popularity_weight = popularity_weight

    def fit(self, data: Baskets) -> ItemKNN:
        """Co-occurrence counts, normalised and pruned."""
        x = _basket_matrix(data) if self.context == "basket" else _user_matrix(data)
        cooc = (x.T @ x).tocsr().astype(np.float32)
        cooc.setdiag(0.0)
        cooc.eliminate_zeros()
        counts = np.asarray(x.sum(axis=0)).ravel().astype(np.float32)
        coo = cooc.tocoo()
        denominator = (
            counts[coo.row] ** self.alpha * counts[coo.col] ** (1.0 - self.alpha) + self.shrink
        )
        similarity = sparse.csr_matrix(
            (coo.data / denominator, (coo.row, coo.col)), shape=cooc.shape
        )
        self.similarity_ = prune_rows(similarity, self.neighbours)
        self.graph_ = ItemGraph(
            self.similarity_,
            self.similarity_ * self.history_weight,
            _popularity(data),
            history_decay=self.history_decay,
            repeat_weight=self.repeat_weight,
            popularity_weight=self.popularity_weight,
        )
        return self


class Transition(GraphModel):
    """First-order item-to-item transitions: P(next item j | previous item i).

    Within a user's time-ordered history, every item of one basket "precedes" every item of the
    next basket (for one-item baskets: consecutive items). The most recent history items count
    most (per-basket decay); cart items count as the most recent.

    Args:
        neighbours: kept per item.
        shrink: added to the row count (damps items seen a few times).
        history_decay: per-basket decay.
        history_limit: baskets of history used.
        cart_weight: weight of cart items (as if just bought).
        popularity_weight: popularity added to the scores.
    """

    def __init__(
        self,
        neighbours: int = 100,
        shrink: float = 1.0,
        history_decay: float = 0.5,
        history_limit: int = 10,
        cart_weight: float = 1.0,
        popularity_weight: float = 1e-3,
    ) -> None:
        self.neighbours = neighbours
        self.shrink = shrink
        self.history_decay = history_decay
        self.history_limit = history_limit
        self.cart_weight = cart_weight
        self.popularity_weight = popularity_weight

    def fit(self, data: Baskets) -> Transition:
        """Count transitions between consecutive baskets of each user."""
        n = data.n_items
        rows, cols = [], []
        for baskets in progress(data.user_baskets().values(), "transition counts"):
            for previous, following in itertools.pairwise(baskets):
                a, b = data.basket(int(previous)), data.basket(int(following))
                rows.append(np.repeat(a, len(b)))
                cols.append(np.tile(b, len(a)))
        counts = sparse.csr_matrix(
            (
                np.ones(sum(len(r) for r in rows), np.float32),
                (_concat(rows), _concat(cols)),
            ),
            shape=(n, n),
        )
        counts.sum_duplicates()
        out = np.asarray(counts.sum(axis=1)).ravel() + self.shrink
        transitions = sparse.diags(1.0 / out) @ counts
        transitions.setdiag(0.0)
        self.transitions_ = prune_rows(transitions.tocsr(), self.neighbours)
        self.graph_ = ItemGraph(
            self.transitions_ * self.cart_weight,
            self.transitions_,
            _popularity(data),
            history_decay=self.history_decay,
            history_limit=self.history_limit,
            popularity_weight=self.popularity_weight,
        )
        return self


class EASE(GraphModel):
    """EASE (Steck, WWW 2019): B = I - P / diag(P), P = (X^T X + lambda I)^-1, zero diagonal.

    The inverse is dense O(n^3), so only the `max_items` most frequent items get a row and a
    column (the others score by popularity alone).

    Args:
        l2: lambda.
        context: "basket" or "user" rows for X.
        max_items: largest item count the inverse is computed for.
        neighbours: kept per item.
        history_weight, history_decay, repeat_weight, popularity_weight: as in ItemKNN.
    """

    def __init__(
        self,
        l2: float = 200.0,
        context: str = "basket",
        max_items: int = 12_500,
        neighbours: int = 100,
        history_weight: float = 0.3,
        history_decay: float = 0.7,
        repeat_weight: float = 0.0,
        popularity_weight: float = 1e-3,
    ) -> None:
        self.l2 = l2
        self.context = context
        self.max_items = max_items
        self.neighbours = neighbours
        self.history_weight = history_weight
        self.history_decay = history_decay
        self.repeat_weight = repeat_weight
        self.popularity_weight = popularity_weight

    def fit(self, data: Baskets) -> EASE:
        """Solve the closed form on the most frequent items."""
        started = time.perf_counter()
        x = _basket_matrix(data) if self.context == "basket" else _user_matrix(data)
        counts = np.asarray(x.sum(axis=0)).ravel()
        kept = np.sort(np.argsort(-counts, kind="stable")[: self.max_items])
        kept = kept[counts[kept] > 0]
        sub = x[:, kept]
        gram = (sub.T @ sub).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        precision = np.linalg.inv(gram)
        weights = -precision / np.diag(precision)[None, :]
        np.fill_diagonal(weights, 0.0)
        pruned = prune_rows(np.maximum(weights, 0.0).astype(np.float32), self.neighbours).tocoo()
        n = data.n_items
        self.weights_ = sparse.csr_matrix(
            (pruned.data, (kept[pruned.row], kept[pruned.col])), shape=(n, n), dtype=np.float32
        )
        self.graph_ = ItemGraph(
            self.weights_,
            self.weights_ * self.history_weight,
            _popularity(data),
            history_decay=self.history_decay,
            repeat_weight=self.repeat_weight,
            popularity_weight=self.popularity_weight,
        )
        logger.info("EASE on %d items: %.1f s", len(kept), time.perf_counter() - started)
        return self


class ALS(GraphModel):
    """Implicit-feedback ALS from the `implicit` library, scored by a linearised fold-in.

    For a new "user" (the cart, plus the history) with observed items p, ALS's fold-in is
    u = (Y^T C Y + l2 I)^-1 Y^T C p; dropping the cart-specific part of Y^T C Y (tiny next to
    Y^T Y for a cart of a few items) makes it linear: score = p^T S with
    S = (1 + confidence) Y (Y^T Y + l2 I)^-1 Y^T, which is exported like every other graph.

    Args:
        factors, l2, iterations, confidence: ALS settings (confidence = implicit's alpha).
        context: "user" (users x items, ALS's usual form) or "basket".
        neighbours: kept per item of S.
        history_weight, history_decay, repeat_weight, popularity_weight: as in ItemKNN.
        seed: implicit's random_state.
    """

    def __init__(
        self,
        factors: int = 64,
        l2: float = 0.05,
        iterations: int = 15,
        confidence: float = 10.0,
        context: str = "user",
        neighbours: int = 100,
        history_weight: float = 0.3,
        history_decay: float = 0.7,
        repeat_weight: float = 0.0,
        popularity_weight: float = 1e-3,
        seed: int = 0,
    ) -> None:
        self.factors = factors
        self.l2 = l2
        self.iterations = iterations
        self.confidence = confidence
        self.context = context
        self.neighbours = neighbours
        self.history_weight = history_weight
        self.history_decay = history_decay
        self.repeat_weight = repeat_weight
        self.popularity_weight = popularity_weight
        self.seed = seed

    def fit(self, data: Baskets) -> ALS:
        """Factorise, then form the linearised fold-in matrix S (pruned)."""
        from implicit.cpu.als import AlternatingLeastSquares

        x = _user_matrix(data) if self.context == "user" else _basket_matrix(data)
        model = AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.l2,
            iterations=self.iterations,
            alpha=self.confidence,
            random_state=self.seed,
        )
        model.fit(x.tocsr().astype(np.float32), show_progress=False)
        items = np.asarray(model.item_factors, dtype=np.float64)
        self.item_factors_ = items.astype(np.float32)
        gram = items.T @ items + self.l2 * np.eye(items.shape[1])
        projection = np.linalg.solve(gram, items.T)  # (Y^T Y + l2 I)^-1 Y^T  [f, n]
        scale = 1.0 + self.confidence
        n = data.n_items
        self.similarity_ = _dense_prune(
            lambda rows: scale * items[rows] @ projection, n, self.neighbours
        )
        self.graph_ = ItemGraph(
            self.similarity_,
            self.similarity_ * self.history_weight,
            _popularity(data),
            history_decay=self.history_decay,
            repeat_weight=self.repeat_weight,
            popularity_weight=self.popularity_weight,
        )
        return self


def blend(
    graphs: dict[str, ItemGraph],
    cart_weights: dict[str, float],
    history_weights: dict[str, float],
    history_decay: float,
    repeat_weight: float,
    popularity_weight: float,
    neighbours: int,
    history_limit: int = 10,
    cart_size_power: float = 0.0,
    history_size_power: float = 0.0,
) -> ItemGraph:
    """One graph from several: C = sum w_m C_m, H = sum v_m H_m, pruned to `neighbours`.

    Each component's matrices are first scaled to a mean row maximum of 1, so the weights mean
    the same whatever a model's raw score range.
    """

    def unit(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
        if matrix.nnz == 0:
            return matrix
        row_max = np.asarray(matrix.max(axis=1).todense()).ravel()
        scale = float(row_max[row_max > 0].mean())
        return (matrix / scale).tocsr()

    first = next(iter(graphs.values()))
    n = first.n_items
    cart = sparse.csr_matrix((n, n), dtype=np.float32)
    history = sparse.csr_matrix((n, n), dtype=np.float32)
    for name, graph in graphs.items():
        if cart_weights.get(name):
            cart = cart + unit(graph.cart_matrix) * cart_weights[name]
        if history_weights.get(name):
            history = history + unit(graph.history_matrix) * history_weights[name]
    return ItemGraph(
        prune_rows(cart.tocsr(), neighbours),
        prune_rows(history.tocsr(), neighbours),
        first.popularity,
        history_decay=history_decay,
        history_limit=history_limit,
        repeat_weight=repeat_weight,
        popularity_weight=popularity_weight,
        cart_size_power=cart_size_power,
        history_size_power=history_size_power,
        meta={"cart_weights": cart_weights, "history_weights": history_weights},
    )
