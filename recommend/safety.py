"""The safety filter: a recommendation must never be unsafe with what the cart already holds.

A catalogue item that carries drug ingredients (linked at training time with the prescription
checker's resolver) is suppressed, with the reason, when it
- repeats an ingredient of the cart or of the patient's current medications;
- is in the same therapeutic class (ATC level 4) as one of them, unless the pair is an
  allow-listed intended combination (two NSAIDs, two PPIs);
- interacts at major or worse with one of them: by the knowledge base, as a predicted major
  interaction the checker alerts on, or, stricter than the checker's alerts, a pair a source
  lists without a severity (DrugBank) whose most likely predicted severity is major: the
  interaction is documented and only its grade is predicted, and a recommendation is optional
  (warfarin + loxoprofen is listed by DrugBank only; P(major) = 0.6 is below the checker's alert
  threshold, yet no pharmacist would suggest it). Unlisted pairs keep the checker's threshold:
  a looser one suppressed ordinary add-ons on the model's guesses alone;
- is contraindicated for the patient (pregnancy, lactation, age, conditions), or the patient is
  allergic to it or to its class.

It asks the prescription checker the same question a pharmacist would: "if this item were
prescribed on top of the cart and the current medications, which alerts would fire?".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prescription.checker import PrescriptionChecker
from prescription.schema import MAX_DRUGS, CheckRequest, DrugOrder, Patient

_SERIOUS = ("contraindicated", "major")


@dataclass(frozen=True)
class SafetyContext:
    """What a candidate is checked against, resolved once per request."""

    drugs: tuple[str, ...]
    patient: Patient
    current_medications: tuple[DrugOrder, ...]


class SafetyFilter:
    """Checks candidate items against a cart with one prescription checker.

    Args:
        checker: the prescription checker (from the bundle embedded in the recommender's).
        ingredients: item index -> canonical ingredients (empty for non-drug items).
    """

    def __init__(
        self, checker: PrescriptionChecker, ingredients: Sequence[tuple[str, ...]]
    ) -> None:
        self.checker = checker
        self.ingredients = ingredients

    def context(
        self,
        cart: Sequence[int],
        patient: Patient | None,
        current_medications: Sequence[DrugOrder],
    ) -> SafetyContext:
        """The cart's drug ingredients plus the request's patient and current medications."""
        drugs = tuple(dict.fromkeys(d for i in cart for d in self.ingredients[i]))
        return SafetyContext(drugs, patient or Patient(), tuple(current_medications))

    def reason(self, item: int, context: SafetyContext) -> str | None:
        """Why a candidate must not be recommended, or None when it is safe to show."""
        own = self.ingredients[item]
        if not own:
            return None
        taken = set(context.drugs)
        for medication in context.current_medications:
            taken.update(self.checker.resolver.resolve(medication.name).ingredients)
        repeated = sorted(set(own) & taken)
        if repeated:
            return f"duplicates {', '.join(repeated)} already in the cart or current medications"
        others = [
            *(DrugOrder(name=d) for d in context.drugs),
            *context.current_medications,
        ]
        # The checker takes at most MAX_DRUGS current medications per request: a longer list is
        # checked in chunks, never cut.
        for start in range(0, max(len(others), 1), MAX_DRUGS):
            found = self._check(own, context.patient, others[start : start + MAX_DRUGS])
            if found:
                return found
        return None

    def _check(self, own: tuple[str, ...], patient: Patient, others: list[DrugOrder]) -> str | None:
        request = CheckRequest(
            id="safety",
            patient=patient,
            drugs=[DrugOrder(name=drug) for drug in own],
            current_medications=others,
        )
        result = self.checker.check(request)
        for alert in result.alerts:
            involved = set(alert.drugs)
            if not involved & set(own):
                continue
            if alert.type in ("interaction", "duplicate_therapy") and involved <= set(own):
                continue  # two ingredients of the same product: an intended combination
            if alert.type == "duplicate_therapy":
                return f"duplicate therapy: {alert.message}"
            if alert.type == "interaction" and alert.severity in _SERIOUS:
                label = "predicted " if alert.source == "model" else ""
                return f"{label}{alert.severity} interaction: {alert.message}"
            if alert.type == "allergy" or (
                alert.type == "contraindication" and alert.severity in _SERIOUS
            ):
                return f"{alert.type} for this patient: {alert.message}"
        for pair in result.pairs:
            if not set(pair.drugs) & set(own) or set(pair.drugs) <= set(own):
                continue
            if pair.predicted_level not in _SERIOUS:
                continue
            a, b = pair.drugs
            if pair.known_level == "unknown":
                return (
                    f"predicted major interaction: {a} + {b} is a listed interaction without a "
                    f"severity ({pair.source}); the model's most likely severity is major"
                )
        return None
