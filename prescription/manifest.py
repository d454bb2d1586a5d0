"""The prescription manifest section, written by training and read by the predictor."""

from __future__ import annotations

from pydantic import Field

from runtime.predictor import ManifestSection


class PrescriptionPostprocessing(ManifestSection):
    """manifest.postprocessing of a prescription bundle: the alert policy it was validated with.

    Attributes:
        novelty_threshold: a drug less similar than this to every training drug gets no
            learned-model score (the model has not seen anything like it).
        model_alert_threshold: P(interaction) at or above which the model alone raises an alert.
        min_interaction_level: the least severe knowledge-base level that is alerted.
        suppress: alert keys this bundle silences (a pharmacy's choice, recorded with it).
        interruptive: which alerts interrupt the prescriber (documentation for the card).
    """

    novelty_threshold: float = Field(ge=0, le=1)
    model_alert_threshold: float = Field(gt=0, le=1)
    min_interaction_level: str
    suppress: list[str]
    interruptive: str
