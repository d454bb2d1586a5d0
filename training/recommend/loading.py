"""The recommender run's data: interactions and catalogue of the configured source, and the
evaluation task's split (cart completion or next item)."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

from training.config import DataError, RecommendConfig, auto_source, resolve_data_dir
from training.recommend.data import (
    Baskets,
    demo_baskets,
    encode,
    load_instacart,
    load_sequences,
    load_tafeng,
    read_catalogue,
)
from training.recommend.evaluate import TaskData, cart_completion, next_item

logger = logging.getLogger(__name__)

SOURCES = {
    "tafeng": "recommend/tafeng/baskets.csv",
    "amazon_health": "recommend/amazon_health/sequences.txt",
    "amazon_beauty": "recommend/amazon_beauty/Beauty.txt",
    "instacart": "recommend/instacart",
}


@dataclass
class Loaded:
    """Interactions, the item catalogue and where they came from."""

    source: str
    data: Baskets
    catalogue: list[dict[str, str]]
    description: str


def _instacart_catalogue(folder: Path) -> list[dict[str, str]]:
    """products.csv with aisle and department names, as catalogue rows."""

    def rows(name: str) -> list[dict[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    aisles = {r["aisle_id"]: r["aisle"] for r in rows("aisles.csv")}
    departments = {r["department_id"]: r["department"] for r in rows("departments.csv")}
    return [
        {
            "item_id": r["product_id"],
            "name": r["product_name"],
            "aisle": aisles.get(r["aisle_id"], ""),
            "department": departments.get(r["department_id"], ""),
        }
        for r in rows("products.csv")
    ]


def _resolve_source(config: RecommendConfig, data_dir: Path | None) -> str:
    """The configured source; `auto` is the Instacart sample when present, else the demo."""
    source = config.data.source
    if source != "auto":
        return source
    present = data_dir is not None and (data_dir / SOURCES["instacart"] / "products.csv").is_file()
    needs = f"{SOURCES['instacart']}/products.csv"
    return auto_source(config.data.data_dir, present, "instacart", needs)


def describe_recommend_data(config: RecommendConfig) -> str:
    """Which data a run of `config` trains on, in words (the training CLI's first line)."""
    data_dir = resolve_data_dir(config.data.data_dir)
    source = _resolve_source(config, data_dir)
    if source == "demo":
        return f"the hand-written demo catalogue {config.data.demo_dir}"
    return f"{source} from {data_dir / SOURCES[source] if data_dir else '(no data directory)'}"


def load(config: RecommendConfig) -> Loaded:
    """Interactions and catalogue of the configured source."""
    data_dir = resolve_data_dir(config.data.data_dir)
    source = _resolve_source(config, data_dir)
    logger.info("recommend data: %s", source)
    if source == "demo":
        folder = Path(config.data.demo_dir)
        catalogue = read_catalogue(folder / "catalogue.csv")
        frame = demo_baskets(folder, config.seed, config.data.demo_users)
        description = f"{folder} (hand-written catalogue, baskets drawn from its missions)"
    else:
        if data_dir is None or not (data_dir / SOURCES[source]).exists():
            raise DataError(
                f"data.source={source} needs {SOURCES[source]} under the data directory"
            )
        path = data_dir / SOURCES[source]
        if source == "tafeng":
            frame = load_tafeng(path)
        elif source == "instacart":
            frame = load_instacart(path)
        else:
            frame = load_sequences(path)
        catalogue = _instacart_catalogue(path) if source == "instacart" else []
        description = str(path)
    if catalogue:
        data = encode(frame, [row["item_id"] for row in catalogue])
    else:
        data = encode(frame)
        catalogue = [
            {"item_id": item, "name": "", "aisle": "", "department": ""} for item in data.item_ids
        ]
    logger.info(
        "%s: %d interactions, %d baskets, %d users, %d items",
        source,
        len(frame),
        data.n_baskets,
        len(data.user_ids),
        data.n_items,
    )
    return Loaded(source, data, catalogue, description)


def split(config: RecommendConfig, data: Baskets) -> TaskData:
    """The configured evaluation task's training baskets and validation and test cases."""
    if config.data.task == "cart_completion":
        task = cart_completion(
            data, config.seed, config.data.validation_percent, config.data.test_percent
        )
    else:
        task = next_item(data)
    logger.info(
        "%s: %d validation and %d test cases", task.task, len(task.validation), len(task.test)
    )
    return task
