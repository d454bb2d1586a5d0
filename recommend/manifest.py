"""The recommend manifest sections, written by training and read by the predictor (one class each).

Which preprocessing keys a bundle needs depends on its architecture, so each architecture has
its own section class and every key it lists is required (a bundle missing one is refused, never
served with a default):

    recommend.item_graph.v1   cart_size_power, history_decay, history_limit, history_size_power,
                              exclude_history                          (ItemGraphPreprocessing)
    recommend.sasrec.v1       max_len, exclude_history                 (SASRecPreprocessing)
    recommend.hybrid.v1       all of them                              (HybridPreprocessing)

How the keys turn a cart and a user's baskets into the graph's inputs is `recommend.features`.
"""

from __future__ import annotations

from pydantic import Field

from runtime.bundle import Bundle
from runtime.errors import BundleError
from runtime.predictor import ManifestSection

TASK = "recommend"
ITEM_GRAPH = "recommend.item_graph.v1"
SASREC = "recommend.sasrec.v1"
HYBRID = "recommend.hybrid.v1"
ARCHITECTURES = (ITEM_GRAPH, SASREC, HYBRID)


class RecommendPreprocessing(ManifestSection):
    """manifest.preprocessing of a recommend bundle: what every architecture's section holds.

    A bundle is read with its architecture's subclass (`for_bundle`), never with this base.

    Attributes:
        exclude_history: never recommend an item of the user's stored baskets (next-item
            bundles, as their evaluation protocol); the cart is always excluded.
    """

    exclude_history: bool

    @staticmethod
    def section_class(architecture: str) -> type[RecommendPreprocessing]:
        """The section class of an architecture.

        Raises:
            ValueError: for an architecture this package does not serve.
        """
        if architecture not in _SECTIONS:
            raise ValueError(f"unknown architecture {architecture!r}; known: {ARCHITECTURES}")
        return _SECTIONS[architecture]

    @staticmethod
    def for_bundle(bundle: Bundle) -> RecommendPreprocessing:
        """The bundle's preprocessing, read with its architecture's class.

        Raises:
            BundleError: unknown architecture, or a key missing, unknown or mistyped.
        """
        architecture = bundle.manifest.architecture
        if architecture not in _SECTIONS:
            raise BundleError(f"bundle {bundle.path}: unknown architecture {architecture}")
        return _SECTIONS[architecture].read(bundle, "preprocessing")


class ItemGraphPreprocessing(RecommendPreprocessing):
    """The item graph's inputs (`recommend.features.history_weights`, `cart_weight`).

    Attributes:
        cart_size_power: each cart item weighs |cart| ** -p.
        history_decay: an item bought `age` baskets ago weighs d ** age.
        history_limit: only the last `history_limit` baskets of a user count.
        history_size_power: history weights are divided by (baskets used) ** q.
    """

    cart_size_power: float = Field(ge=0, allow_inf_nan=False)
    history_decay: float = Field(ge=0, allow_inf_nan=False)
    history_limit: int = Field(ge=1)
    history_size_power: float = Field(ge=0, allow_inf_nan=False)


class SASRecPreprocessing(RecommendPreprocessing):
    """The sequential model's input (`recommend.features.sequence_row`).

    Attributes:
        max_len: the width of `item_seq`: the last max_len items of history then cart.
    """

    max_len: int = Field(ge=1)


class HybridPreprocessing(ItemGraphPreprocessing, SASRecPreprocessing):
    """The hybrid feeds both: the item graph's inputs and the sequence."""


_SECTIONS: dict[str, type[RecommendPreprocessing]] = {
    ITEM_GRAPH: ItemGraphPreprocessing,
    SASREC: SASRecPreprocessing,
    HYBRID: HybridPreprocessing,
}


class RecommendPostprocessing(ManifestSection):
    """manifest.postprocessing of a recommend bundle.

    Attributes:
        safety_filter: candidates pass the embedded prescription checker (`safety/`); the
            bundle embeds one exactly when this is true.
    """

    safety_filter: bool
