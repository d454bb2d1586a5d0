"""Item-graph recommenders trained as Spark jobs, so recommender training can grow past one
machine (more baskets, more items, more executors).

Two families, both ending in the same `ItemGraph` as the single-process models (so they export
through `item_graph_onnx` and pass the same parity check):

    recommend.spark_cooccurrence.v1   item co-occurrence / item-kNN: `ItemKNN`'s similarity,
                                      counted by Spark (equal to it on the same baskets)
    recommend.spark_als.v1            Spark ML's implicit-feedback ALS; item neighbours from
                                      ALS's linearised fold-in, as `ALS` in models.py

Co-occurrence: each basket becomes one sorted array of distinct items; its pairs i < j are
generated inside the row (the self-join within a basket without a join shuffle: 40 s against
50 s for a DataFrame self-join with the same cap, 100k items on local[2]), counted, mirrored,
normalised exactly as
`ItemKNN` (sim = cooc / (count_i ** alpha * count_j ** (1 - alpha) + shrink)) and cut to each
item's `top_n` strongest neighbours with a window (Spark pushes the row_number limit before
its shuffle). A basket yields len * (len - 1) / 2 pairs, so one huge basket (a wholesale
order, a user history in `context: user`) could dominate the job: baskets longer than
`max_basket_items` keep a seeded pseudo-random `max_basket_items` of their items (a hash of
basket and item orders them), and the item counts are taken over those same capped baskets,
so the result is exactly `ItemKNN` on the capped baskets.

ALS: `pyspark.ml.recommendation.ALS` (implicit preferences) factorises the binary
users x items (or baskets x items) matrix; the item-item matrix of its linearised fold-in is
S = (1 + alpha) Y (Y^T Y + l2 I)^-1 Y^T (see models.ALS). Two ways to keep each item's
top-N of S, chosen by `search`:

    candidates   re-score each item's `candidates` strongest co-occurrence neighbours (one
                 more Spark co-occurrence job) by S: O(n * candidates * factors) on the
                 driver; neighbours never leave the co-occurrence graph
    exact        all n^2 scores, computed blockwise by Spark tasks against broadcast
                 factors, each block cut to top-N at once (torch.topk): O(n^2 * factors),
                 which spreads over executors on a cluster

Measured (bench/spark_recommend.py, 400,000 synthetic items, local[2], after a 4.5 min ALS):
the exact pass 5.3 min, the candidates 4.9 min (their co-occurrence job over baskets, then
40 s of re-scoring), so neither is cheaper there. But the exact top-N collapses onto hubs
(every item's 100 neighbours drawn from the same 707 items), and on the Instacart sample
(configs/recommend_spark.yaml, 593 users) the candidate search scores test HR@10 0.104 against
the exact search's 0.079, so `candidates` is the default.

`fit(baskets)` needs a Spark session: the active one when there is one (a cluster job, the
tests), else it starts `master` (default local[2]) and stops it after the fit. pyspark is
imported only when a Spark family is fitted, so the rest of training does not need it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from training.progress import heartbeat
from training.recommend.data import Baskets
from training.recommend.models import GraphModel, ItemGraph, _popularity

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

logger = logging.getLogger(__name__)

CONTEXTS = ("basket", "user")


# ---------------------------------------------------------------------------------------------
# Session and tables


@contextmanager
def spark_session(
    master: str = "local[2]", driver_memory: str = "4g", shuffle_partitions: int = 16
) -> Iterator[SparkSession]:
    """The active Spark session, or a new one on `master` that is stopped on exit."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    if master.startswith("local"):
        # Local workers must run this interpreter (the venv, where `training` is importable);
        # a cluster's own PYSPARK_PYTHON is left alone.
        os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master(master)
        .appName("recommend-training")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def baskets_frame(spark: SparkSession, data: Baskets) -> DataFrame:
    """Baskets as the (basket, user, item) rows a baskets table holds (indices, not ids)."""
    import pyarrow as pa

    lengths = np.diff(data.indptr)
    table = pa.table(
        {
            "basket": np.repeat(np.arange(data.n_baskets, dtype=np.int64), lengths),
            "user": np.repeat(data.basket_user.astype(np.int64), lengths),
            "item": data.indices.astype(np.int32),
        }
    )
    return spark.createDataFrame(table)


def _to_csr(table: pa.Table, n_items: int) -> sparse.csr_matrix:
    """(i, j, value) rows -> CSR [n, n] float32."""
    return sparse.csr_matrix(
        (
            table.column("value").to_numpy().astype(np.float32),
            (table.column("i").to_numpy(), table.column("j").to_numpy()),
        ),
        shape=(n_items, n_items),
        dtype=np.float32,
    )


def top_n_per_row(matrix: sparse.csr_matrix, top_n: int) -> sparse.csr_matrix:
    """Each row's `top_n` largest positive entries (ties: the smaller column first).

    The vectorised twin of models.prune_rows (which loops over rows in Python), for
    400,000-row matrices.
    """
    coo = sparse.coo_matrix(matrix)
    keep = coo.data > 0
    rows, cols, values = coo.row[keep], coo.col[keep], coo.data[keep]
    order = np.lexsort((cols, -values, rows))
    rows, cols, values = rows[order], cols[order], values[order]
    starts = np.searchsorted(rows, np.arange(matrix.shape[0]))
    rank = np.arange(len(rows)) - starts[rows]
    kept = rank < top_n
    return sparse.csr_matrix(
        (values[kept].astype(np.float32), (rows[kept], cols[kept])),
        shape=matrix.shape,
        dtype=np.float32,
    )


# ---------------------------------------------------------------------------------------------
# Co-occurrence


def basket_arrays(
    baskets: DataFrame, group: str = "basket", max_basket_items: int = 200
) -> DataFrame:
    """One row per basket (or per user, `group="user"`): `items`, its distinct items sorted,
    at most `max_basket_items` of them (a pseudo-random subset by a hash of group and item)."""
    from pyspark.sql import functions as F

    hashed = F.struct(F.xxhash64(group, "item").alias("h"), F.col("item").alias("item"))
    # collect_set drops repeated rows of an item in a basket without a shuffle of its own
    sampled = F.slice(F.array_sort(F.collect_set(hashed)), 1, max_basket_items)
    capped = F.transform(sampled, lambda s: s["item"])
    return baskets.groupBy(group).agg(F.array_sort(capped).alias("items"))


def cooccurrence_neighbours(
    spark: SparkSession,
    baskets: DataFrame,
    top_n: int,
    n_items: int,
    group: str = "basket",
    alpha: float = 0.5,
    shrink: float = 10.0,
    max_basket_items: int = 200,
) -> sparse.csr_matrix:
    """`ItemKNN`'s pruned similarity, counted by Spark.

    Args:
        spark: the session (the tables' own).
        baskets: rows with an integer `item` index in [0, n_items) and the `group` column.
        top_n: neighbours kept per item.
        n_items: catalogue size (the matrix is n_items x n_items).
        group: "basket" (bought together) or "user" (bought by the same user).
        alpha, shrink: sim(i, j) = cooc(i, j) / (count_i ** alpha * count_j ** (1 - alpha) +
            shrink), counts being baskets (or users) holding the item.
        max_basket_items: longer baskets keep this many of their items (see the module
            docstring).

    Returns:
        CSR [n_items, n_items] float32, row i = item i's strongest neighbours (no diagonal).
    """
    from pyspark import StorageLevel

    started = time.perf_counter()
    arrays = basket_arrays(baskets, group, max_basket_items).persist(StorageLevel.MEMORY_AND_DISK)
    similarity = _similarity(arrays, alpha, shrink)
    matrix = _to_csr(_strongest(similarity, top_n).toArrow(), n_items)
    arrays.unpersist()
    logger.info(
        "spark co-occurrence: %d items, %d neighbour entries kept (top %d), %.1f s",
        n_items,
        matrix.nnz,
        top_n,
        time.perf_counter() - started,
    )
    return matrix


def _pair_counts(arrays: DataFrame) -> DataFrame:
    """(i, j, together): how many rows of `items` arrays hold both i and j, for every ordered
    pair (i != j); pairs are generated inside each row, i < j, then mirrored."""
    from pyspark.sql import functions as F

    pairs = arrays.select(
        F.explode(
            F.flatten(
                F.transform(
                    "items",
                    lambda first, k: F.transform(
                        F.slice("items", k + 2, F.size("items")),
                        lambda second: F.struct(first.alias("i"), second.alias("j")),
                    ),
                )
            )
        ).alias("pair")
    ).select("pair.i", "pair.j")
    together = pairs.groupBy("i", "j").agg(F.count(F.lit(1)).alias("together"))
    # i < j was counted once; each item needs its row, so every pair is emitted both ways.
    return together.select(
        F.explode(
            F.array(
                F.struct(F.col("i").alias("i"), F.col("j").alias("j"), "together"),
                F.struct(F.col("j").alias("i"), F.col("i").alias("j"), "together"),
            )
        ).alias("p")
    ).select("p.*")


def _similarity(arrays: DataFrame, alpha: float, shrink: float) -> DataFrame:
    """(i, j, value): `ItemKNN`'s similarity of every co-occurring pair of the `items` arrays."""
    from pyspark.sql import functions as F

    counts = arrays.select(F.explode("items").alias("item")).groupBy("item").count()
    count_i = F.broadcast(counts.select(F.col("item").alias("i"), F.col("count").alias("n_i")))
    count_j = F.broadcast(counts.select(F.col("item").alias("j"), F.col("count").alias("n_j")))
    return (
        _pair_counts(arrays)
        .join(count_i, "i")
        .join(count_j, "j")
        .select(
            "i",
            "j",
            (
                F.col("together")
                / (F.pow("n_i", float(alpha)) * F.pow("n_j", float(1.0 - alpha)) + float(shrink))
            ).alias("value"),
        )
    )


def _strongest(similarity: DataFrame, top_n: int) -> DataFrame:
    """Each item's `top_n` strongest neighbours (ties: the smaller j first), as (i, j, value)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    strongest = Window.partitionBy("i").orderBy(F.desc("value"), F.asc("j"))
    return (
        similarity.withColumn("rank", F.row_number().over(strongest))
        .where(F.col("rank") <= top_n)
        .select(F.col("i").cast("int"), F.col("j").cast("int"), F.col("value").cast("float"))
    )


# ---------------------------------------------------------------------------------------------
# ALS


def als_item_factors(
    baskets: DataFrame,
    n_items: int,
    group: str = "user",
    factors: int = 32,
    l2: float = 0.05,
    iterations: int = 10,
    confidence: float = 10.0,
    seed: int = 0,
    blocks: int = 4,
) -> np.ndarray:
    """Item factors Y [n_items, factors] of Spark ML's implicit ALS on the binary
    `group` x items matrix (items no row holds get zeros)."""
    from pyspark.ml.recommendation import ALS as SparkALSEstimator
    from pyspark.sql import functions as F

    started = time.perf_counter()
    ratings = (
        baskets.select(F.col(group).cast("int").alias("row"), "item")
        .distinct()
        .withColumn("rating", F.lit(1.0).cast("float"))
    )
    estimator = SparkALSEstimator(
        rank=factors,
        maxIter=iterations,
        regParam=l2,
        implicitPrefs=True,
        alpha=confidence,
        userCol="row",
        itemCol="item",
        ratingCol="rating",
        seed=seed,
        numUserBlocks=blocks,
        numItemBlocks=blocks,
    )
    model = estimator.fit(ratings)
    table = model.itemFactors.toArrow()
    ids = table.column("id").to_numpy()
    values = table.column("features").combine_chunks().flatten().to_numpy()
    out = np.zeros((n_items, factors), dtype=np.float32)
    out[ids] = values.reshape(len(ids), factors)
    logger.info(
        "spark ALS: %d x %d item factors, %d iterations, %.1f s",
        n_items,
        factors,
        iterations,
        time.perf_counter() - started,
    )
    return out


def fold_in_sides(
    item_factors: np.ndarray, l2: float, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) with S = left @ right.T the linearised fold-in of models.ALS:
    left = (1 + confidence) Y (Y^T Y + l2 I)^-1, right = Y."""
    items = item_factors.astype(np.float64)
    gram = items.T @ items + l2 * np.eye(items.shape[1])
    left = (1.0 + confidence) * np.linalg.solve(gram, items.T).T
    return left.astype(np.float32), item_factors.astype(np.float32)


def rescore_candidates(
    left: np.ndarray,
    right: np.ndarray,
    candidates: sparse.csr_matrix,
    top_n: int,
    chunk: int = 1_000_000,
) -> sparse.csr_matrix:
    """S[i, j] = left[i] . right[j] on the candidate pairs only, then each row's top_n."""
    coo = candidates.tocoo()
    values = np.empty(coo.nnz, dtype=np.float32)
    for start in range(0, coo.nnz, chunk):
        rows, cols = coo.row[start : start + chunk], coo.col[start : start + chunk]
        values[start : start + chunk] = np.einsum("ij,ij->i", left[rows], right[cols])
    scored = sparse.csr_matrix((values, (coo.row, coo.col)), shape=candidates.shape)
    return top_n_per_row(scored, top_n)


def exact_factor_neighbours(
    spark: SparkSession,
    left: np.ndarray,
    right: np.ndarray,
    top_n: int,
    block_rows: int = 512,
) -> sparse.csr_matrix:
    """Each row's top_n of S = left @ right.T over all n columns (positive scores only, never
    the row's own item), one Spark task per block of rows against broadcast factors."""
    import pyarrow as pa

    n = left.shape[0]
    shared = spark.sparkContext.broadcast((left, right))
    blocks = list(range(0, n, block_rows))
    starts = spark.createDataFrame([(s,) for s in blocks], "start long")
    # a few tasks per core, so a slow one does not hold the stage up
    tasks = min(len(blocks), max(spark.sparkContext.defaultParallelism, 1) * 4)

    def top_n_of_blocks(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import torch
        from threadpoolctl import threadpool_limits

        # one task per core: a multi-threaded BLAS or topk in each would oversubscribe them
        torch.set_num_threads(1)
        block_left, block_right = shared.value
        with threadpool_limits(1):
            for batch in batches:
                for start in batch.column("start").to_pylist():
                    rows = np.arange(start, min(start + block_rows, n))
                    scores = block_left[rows] @ block_right.T
                    scores[np.arange(len(rows)), rows] = -np.inf
                    width = min(top_n, n - 1)
                    values, index = torch.topk(torch.from_numpy(scores), width, dim=1)
                    values_np, index_np = values.numpy(), index.numpy()
                    keep = values_np > 0
                    yield pa.RecordBatch.from_arrays(
                        [
                            pa.array(np.repeat(rows, width)[keep.ravel()].astype(np.int32)),
                            pa.array(index_np[keep].astype(np.int32)),
                            pa.array(values_np[keep].astype(np.float32)),
                        ],
                        names=["i", "j", "value"],
                    )

    kept = starts.repartition(tasks).mapInArrow(top_n_of_blocks, "i int, j int, value float")
    matrix = _to_csr(kept.toArrow(), n)
    shared.unpersist()
    return matrix


# ---------------------------------------------------------------------------------------------
# The two families


class _SparkGraphModel(GraphModel):
    """What the Spark families share: where the session comes from, and the graph around the
    similarity they learn."""

    history_weight: float
    history_decay: float
    repeat_weight: float
    popularity_weight: float
    master: str
    driver_memory: str
    shuffle_partitions: int

    def _session(self) -> Any:
        return spark_session(self.master, self.driver_memory, self.shuffle_partitions)

    def _graph(self, data: Baskets, similarity: sparse.csr_matrix) -> ItemGraph:
        return ItemGraph(
            similarity,
            (similarity * self.history_weight).tocsr(),
            _popularity(data),
            history_decay=self.history_decay,
            repeat_weight=self.repeat_weight,
            popularity_weight=self.popularity_weight,
        )


def _group(context: str) -> str:
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {CONTEXTS}, got {context!r}")
    return context


class SparkCooccurrence(_SparkGraphModel):
    """`ItemKNN` (co-occurrence / item-kNN) counted by Spark; the same parameters and result.

    Args:
        context, alpha, shrink, neighbours, history_weight, history_decay, repeat_weight,
            popularity_weight: as in models.ItemKNN.
        max_basket_items: longer baskets keep a seeded random subset this long.
        master, driver_memory, shuffle_partitions: the session started when none is active.
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
        max_basket_items: int = 200,
        master: str = "local[2]",
        driver_memory: str = "4g",
        shuffle_partitions: int = 16,
    ) -> None:
        self.context = context
        self.alpha = alpha
        self.shrink = shrink
        self.neighbours = neighbours
        self.history_weight = history_weight
        self.history_decay = history_decay
        self.repeat_weight = repeat_weight
        self.popularity_weight = popularity_weight
        self.max_basket_items = max_basket_items
        self.master = master
        self.driver_memory = driver_memory
        self.shuffle_partitions = shuffle_partitions

    def fit(self, data: Baskets) -> SparkCooccurrence:
        """Count, normalise and prune co-occurrences as one Spark job."""
        group = _group(self.context)
        with heartbeat("spark co-occurrence fit"), self._session() as spark:
            self.similarity_ = cooccurrence_neighbours(
                spark,
                baskets_frame(spark, data),
                self.neighbours,
                data.n_items,
                group=group,
                alpha=self.alpha,
                shrink=self.shrink,
                max_basket_items=self.max_basket_items,
            )
        self.graph_ = self._graph(data, self.similarity_)
        return self


class SparkALS(_SparkGraphModel):
    """Spark ML implicit ALS; item neighbours from its linearised fold-in (see models.ALS).

    Spark's regParam is scaled by each row's and item's number of ratings (ALS-WR), unlike
    implicit's, so the same `l2` is a stronger regulariser here.

    Args:
        factors, l2, iterations, confidence, context, seed: ALS settings (confidence is Spark's
            alpha; context "user" or "basket" rows).
        search: "candidates" (re-score co-occurrence candidates) or "exact" (all pairs,
            blockwise in Spark tasks); see the module docstring.
        candidates: co-occurrence neighbours per item (ItemKNN's default cosine-like
            similarity) that `search: candidates` re-scores.
        candidate_context: where candidates co-occur, "basket" or "user" (None: `context`).
            Baskets are the cheaper job (a user's history yields far more pairs than one
            basket) but give nothing on one-item baskets (next-item data).
        neighbours, history_weight, history_decay, repeat_weight, popularity_weight: as in
            models.ItemKNN.
        max_basket_items: the co-occurrence job's cap (candidates only).
        blocks: ALS user and item blocks (Spark's numUserBlocks / numItemBlocks).
        master, driver_memory, shuffle_partitions: the session started when none is active.
    """

    def __init__(
        self,
        factors: int = 32,
        l2: float = 0.05,
        iterations: int = 10,
        confidence: float = 10.0,
        context: str = "user",
        search: str = "candidates",
        candidates: int = 200,
        candidate_context: str | None = None,
        neighbours: int = 100,
        history_weight: float = 0.3,
        history_decay: float = 0.7,
        repeat_weight: float = 0.0,
        popularity_weight: float = 1e-3,
        max_basket_items: int = 200,
        blocks: int = 4,
        seed: int = 0,
        master: str = "local[2]",
        driver_memory: str = "4g",
        shuffle_partitions: int = 16,
    ) -> None:
        self.factors = factors
        self.l2 = l2
        self.iterations = iterations
        self.confidence = confidence
        self.context = context
        self.search = search
        self.candidates = candidates
        self.candidate_context = candidate_context
        self.neighbours = neighbours
        self.history_weight = history_weight
        self.history_decay = history_decay
        self.repeat_weight = repeat_weight
        self.popularity_weight = popularity_weight
        self.max_basket_items = max_basket_items
        self.blocks = blocks
        self.seed = seed
        self.master = master
        self.driver_memory = driver_memory
        self.shuffle_partitions = shuffle_partitions

    def fit(self, data: Baskets) -> SparkALS:
        """Factorise with Spark, then keep each item's strongest fold-in neighbours."""
        if self.search not in ("candidates", "exact"):
            raise ValueError(f"search must be 'candidates' or 'exact', got {self.search!r}")
        group = _group(self.context)
        with heartbeat(f"spark ALS fit ({self.search} neighbours)"), self._session() as spark:
            frame = baskets_frame(spark, data)
            self.item_factors_ = als_item_factors(
                frame,
                data.n_items,
                group,
                self.factors,
                self.l2,
                self.iterations,
                self.confidence,
                self.seed,
                self.blocks,
            )
            left, right = fold_in_sides(self.item_factors_, self.l2, self.confidence)
            started = time.perf_counter()
            if self.search == "exact":
                self.similarity_ = exact_factor_neighbours(spark, left, right, self.neighbours)
            else:
                candidates = cooccurrence_neighbours(
                    spark,
                    frame,
                    self.candidates,
                    data.n_items,
                    group=_group(self.candidate_context or self.context),
                    max_basket_items=self.max_basket_items,
                )
                self.similarity_ = rescore_candidates(left, right, candidates, self.neighbours)
        logger.info(
            "spark ALS neighbours (%s): %d entries, %.1f s",
            self.search,
            self.similarity_.nnz,
            time.perf_counter() - started,
        )
        self.graph_ = self._graph(data, self.similarity_)
        return self


__all__ = [
    "SparkALS",
    "SparkCooccurrence",
    "als_item_factors",
    "basket_arrays",
    "baskets_frame",
    "cooccurrence_neighbours",
    "exact_factor_neighbours",
    "fold_in_sides",
    "rescore_candidates",
    "spark_session",
    "top_n_per_row",
]
