"""The pinned sentence encoder: files checked before use, deterministic, meaning over characters."""

from __future__ import annotations

import numpy as np
import pytest

from runtime.errors import BundleError
from runtime.sentence_encoder import DIMENSION, RESOURCE_SHA256, SentenceEncoder


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.pinned().load()


def test_encoder_refuses_files_that_differ_from_the_pinned_ones() -> None:
    tampered = {**RESOURCE_SHA256, "weights.npz": "0" * 64}
    with pytest.raises(BundleError, match=r"weights\.npz"):
        SentenceEncoder(tampered).load()


def test_encoder_manifest_entry_round_trips_and_names_are_checked() -> None:
    entry = SentenceEncoder.pinned().describe()
    assert SentenceEncoder.from_manifest(entry).expected_sha256 == RESOURCE_SHA256
    with pytest.raises(BundleError, match="unknown sentence encoder"):
        SentenceEncoder.from_manifest({**entry, "name": "other.v9"})


def test_encoder_gives_unit_vectors_the_same_alone_or_in_a_batch(encoder: SentenceEncoder) -> None:
    texts = ["胸口疼，喘不上气", "my chest hurts when i breathe", "膝盖有点酸"]
    batch = encoder.encode(texts)
    assert batch.shape == (3, DIMENSION) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-3)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    np.testing.assert_allclose(alone, batch, atol=1e-5)
    assert encoder.encode([]).shape == (0, DIMENSION)


def test_an_embedding_is_bit_for_bit_the_same_whatever_batch_it_comes_in(
    encoder: SentenceEncoder,
) -> None:
    """A batched forward pass rounded differently with the batch's shape (about 1e-7), which
    moved a demo complaint's sixth decimal between the CLI and a Spark partition."""
    text = "宝宝10个月，发烧39度两天，精神很差，一直睡叫不醒"
    others = ["膝盖有点酸", "my chest hurts when i breathe and i feel faint", "头痛" * 20]
    alone = encoder.encode([text])[0]
    for batch in ([text, *others], [*others, text], [text] * 5, [others[0], text]):
        assert np.array_equal(encoder.encode(batch)[batch.index(text)], alone)


def test_encoder_puts_paraphrases_closer_than_unrelated_complaints(
    encoder: SentenceEncoder,
) -> None:
    vomit_blood, haematemesis, rash = encoder.encode(["吐了好几口血", "呕血", "手上起了小疹子"])
    assert vomit_blood @ haematemesis > vomit_blood @ rash
    english, chinese, knee = encoder.encode(
        ["my chest hurts when i breathe", "呼吸时胸痛", "膝盖有点酸"]
    )
    assert english @ chinese > english @ knee


def test_encoder_embeds_only_the_start_of_long_texts_by_its_token_budget() -> None:
    from runtime.sentence_encoder import MAX_TOKENS_ESTIMATE, truncate

    assert truncate("胸" * 100, 64) == "胸" * 64
    assert truncate("a" * 300, 64) == "a" * 256, "a Latin character is a quarter of a token"
    assert truncate("短句", 64) == "短句"
    entry = SentenceEncoder.pinned().describe()
    assert entry["max_tokens_estimate"] == MAX_TOKENS_ESTIMATE
    assert SentenceEncoder.from_manifest(entry).max_tokens == MAX_TOKENS_ESTIMATE
    legacy = {k: v for k, v in entry.items() if k != "max_tokens_estimate"}
    assert SentenceEncoder.from_manifest(legacy).max_tokens is None, "older bundles embed it all"


def test_encoder_budget_makes_text_past_it_irrelevant(encoder: SentenceEncoder) -> None:
    head = "胸口疼，喘不上气" * 12
    a, b = encoder.encode([head + "膝盖疼", head + "皮肤痒"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_encoders_share_one_loaded_model_and_every_load_still_checks_the_files(
    encoder: SentenceEncoder,
) -> None:
    again = SentenceEncoder.pinned().load()
    assert again._model is encoder._model, "a second bundle would load the weights again"
    tampered = {**RESOURCE_SHA256, "sp.model": "0" * 64}
    with pytest.raises(BundleError, match=r"sp\.model"):
        SentenceEncoder(tampered).load()
