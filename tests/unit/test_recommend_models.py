"""One contract, every recommender (implicit's checkerboard idea): synthetic baskets whose right
answer is known. Items 0-9 are only ever bought together, items 10-19 too; item 0 is by far the
most popular. A model must complete a cart of group A with group A, never return a cart item,
and give every row a full, finite score vector."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from recommend.features import history_ages
from training.recommend.data import InteractionError, encode, split_users, validate_interactions
from training.recommend.evaluate import cart_completion, evaluate, next_item, rank_top_k
from training.recommend.models import (
    ALS,
    EASE,
    ItemKNN,
    Popularity,
    Transition,
    blend,
    prune_rows,
)

GROUPS = [list(range(0, 10)), list(range(10, 20))]


def _checkerboard(users: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        group = GROUPS[u % 2]
        for b in range(4):
            items = rng.choice(group, size=4, replace=False).tolist()
            if u % 2 == 0 and rng.random() < 0.8:
                items.append(0)  # item 0: popular in group A
            rows += [(f"u{u}", f"u{u}:{b}", str(i), b) for i in dict.fromkeys(items)]
    return validate_interactions(
        pd.DataFrame(rows, columns=["user", "basket", "item", "order"]), "synthetic"
    )


@pytest.fixture(scope="module")
def baskets() -> Any:
    return encode(_checkerboard())


MODELS = {
    "popularity": lambda: Popularity(),
    "item_knn_basket": lambda: ItemKNN(),
    "item_knn_user": lambda: ItemKNN(context="user"),
    "cooccurrence": lambda: ItemKNN(alpha=1.0, shrink=0.0),
    "transition": lambda: Transition(),
    "ease": lambda: EASE(l2=10.0),
    # two latent groups: a few factors; more would fit noise on 80 users
    "als": lambda: ALS(factors=4, iterations=10, l2=0.1, confidence=1.0),
}


class RecommenderContract:
    """Shared tests; subclasses set `make`."""

    make: Any
    learns_groups = True

    @pytest.fixture(scope="class")
    @classmethod
    def model(cls, baskets: Any) -> Any:
        return cls.make().fit(baskets)

    def _index(self, baskets: Any, item: int) -> int:
        return baskets.item_ids.index(str(item))

    def test_scores_have_one_finite_row_per_cart(self, model: Any, baskets: Any) -> None:
        carts = [np.array([self._index(baskets, 1)]), np.zeros(0, np.int64)]
        histories = [np.zeros(0, np.int64), np.array([self._index(baskets, 12)])]
        scores = model.score_batch(carts, histories, [np.zeros(0, np.int64), np.zeros(1, np.int64)])
        assert scores.shape == (2, baskets.n_items)
        assert np.isfinite(scores).all()
        again = model.score_batch(carts, histories, [np.zeros(0, np.int64), np.zeros(1, np.int64)])
        np.testing.assert_array_equal(scores, again)

    def test_never_returns_an_item_of_the_cart(self, model: Any, baskets: Any) -> None:
        cart = np.array([self._index(baskets, i) for i in (0, 1, 2, 3)])
        scores = model.score_batch([cart], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)])
        top = rank_top_k(scores, [cart], [np.zeros(0, np.int64)], k=10)
        assert not set(top[0].tolist()) & set(cart.tolist())

    def test_completes_a_cart_with_its_own_group(self, model: Any, baskets: Any) -> None:
        if not self.learns_groups:
            pytest.skip("popularity does not look at the cart")
        cart = np.array([self._index(baskets, i) for i in (11, 12, 13)])
        scores = model.score_batch([cart], [np.zeros(0, np.int64)], [np.zeros(0, np.int64)])
        top = rank_top_k(scores, [cart], [np.zeros(0, np.int64)], k=5)[0]
        group_b = {self._index(baskets, i) for i in GROUPS[1]}
        assert set(top.tolist()) <= group_b, [baskets.item_ids[i] for i in top]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_recommend_models_are_registered(name: str) -> None:
    assert callable(MODELS[name])


class TestPopularity(RecommenderContract):
    make = staticmethod(MODELS["popularity"])
    learns_groups = False

    def test_popularity_ranks_item_zero_first(self, model: Any, baskets: Any) -> None:
        scores = model.score_batch([np.zeros(0, np.int64)], [np.zeros(0, np.int64)])
        assert int(np.argmax(scores[0])) == self._index(baskets, 0)


class TestItemKNNBasket(RecommenderContract):
    make = staticmethod(MODELS["item_knn_basket"])


class TestItemKNNUser(RecommenderContract):
    make = staticmethod(MODELS["item_knn_user"])


class TestCooccurrence(RecommenderContract):
    make = staticmethod(MODELS["cooccurrence"])


class TestTransition(RecommenderContract):
    make = staticmethod(MODELS["transition"])


class TestEASE(RecommenderContract):
    make = staticmethod(MODELS["ease"])


class TestALS(RecommenderContract):
    make = staticmethod(MODELS["als"])


class TestBlend(RecommenderContract):
    @staticmethod
    def make() -> Any:
        class Blended:
            def fit(self, data: Any) -> Any:
                graphs = {"knn": ItemKNN().fit(data).graph_, "ease": EASE(l2=10.0).fit(data).graph_}
                self.graph_ = blend(
                    graphs, {"knn": 1.0, "ease": 0.5}, {"knn": 0.2}, 0.7, 0.5, 0.01, 20
                )
                return self

            def score_batch(self, *args: Any) -> Any:
                return self.graph_.score_batch(*args)

        return Blended()


def test_recommend_prune_rows_keeps_the_largest_entries() -> None:
    matrix = sparse.csr_matrix(np.array([[0.0, 3.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0]]))
    pruned = prune_rows(matrix, 2).toarray()
    np.testing.assert_array_equal(pruned, [[0.0, 3.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]])


def test_recommend_history_ages_count_baskets_back() -> None:
    items, ages = history_ages([np.array([1, 2]), np.array([3])])
    assert items.tolist() == [1, 2, 3] and ages.tolist() == [1, 1, 0]


def test_recommend_interactions_are_validated_naming_rows() -> None:
    frame = pd.DataFrame(
        {"user": ["a", ""], "basket": ["a:0", "b:0"], "item": ["1", "2"], "order": [0, -1]}
    )
    with pytest.raises(InteractionError, match=r"row 1: empty user"):
        validate_interactions(frame, "bad")
    with pytest.raises(InteractionError, match="missing columns"):
        validate_interactions(frame.drop(columns="item"), "bad")
    shared = pd.DataFrame(
        {"user": ["a", "b"], "basket": ["x", "x"], "item": ["1", "2"], "order": [0, 0]}
    )
    with pytest.raises(InteractionError, match="span several users"):
        validate_interactions(shared, "bad")


def test_recommend_ids_stay_strings_and_splits_are_stable() -> None:
    frame = validate_interactions(
        pd.DataFrame(
            {"user": ["007", "7"], "basket": ["b1", "b2"], "item": ["0", "00"], "order": [0, 0]}
        ),
        "ids",
    )
    data = encode(frame)
    assert data.item_ids == ["0", "00"] and data.user_ids == ["007", "7"]
    users = [f"user-{i}" for i in range(500)]
    first = split_users(users, 10, 10)
    again = split_users([*users, "new-user"], 10, 10)
    for name in first:
        assert first[name] <= again[name], "adding a user moved an old one"


def test_recommend_cart_completion_hides_one_item_per_basket(baskets: Any) -> None:
    task = cart_completion(baskets, seed=0, validation_percent=20, test_percent=20)
    held = set(task.train.basket_user.tolist())
    assert len(task.test) > 0 and len(task.validation) > 0
    for cart, target in zip(task.test.carts, task.test.targets, strict=True):
        assert target not in cart.tolist()
    assert not task.test.exclude_history
    # no held-out user's basket is in training
    test_users = {u for u in range(len(baskets.user_ids))} - held
    assert test_users


def test_recommend_next_item_leaves_the_last_two_out() -> None:
    rows = [("u", f"u:{i}", str(i), i) for i in range(6)]
    data = encode(
        validate_interactions(
            pd.DataFrame(rows, columns=["user", "basket", "item", "order"]), "seq"
        )
    )
    task = next_item(data)
    assert task.train.n_baskets == 4
    assert data.item_ids[int(task.validation.targets[0])] == "4"
    assert data.item_ids[int(task.test.targets[0])] == "5"
    assert len(task.test.histories[0]) == 5 and task.test.exclude_history


def test_recommend_evaluate_counts_hits_and_can_fail(baskets: Any) -> None:
    task = cart_completion(baskets, seed=0, validation_percent=20, test_percent=20)
    knn = ItemKNN().fit(task.train)
    good = evaluate(knn, task.test, baskets.n_items)

    class Wrong:
        def score_batch(self, carts: Any, histories: Any, ages: Any = None) -> Any:
            scores = knn.score_batch(carts, histories, ages)
            return -scores  # the worst ranking

    bad = evaluate(Wrong(), task.test, baskets.n_items)
    assert good["hr@10"] > 0.5 and good["hr@10"] > bad["hr@10"]
    assert 0 < good["coverage@10"] <= 1
