"""PrescriptionChecker: prescription + patient profile in, alerts and per-pair reports out.

Order of work: resolve every name; check each pair of drugs (within the prescription and
against current medications) against the knowledge base, score the pairs it lacks with the
learned model; then duplicate therapy, dose, contraindications (pregnancy, lactation, age,
conditions) and allergy with cross-reactivity from the curated tables.

Alert policy (the doctors' side of alert fatigue):
- interruptive only for contraindicated and major findings, allergy and pregnancy alerts, and
  never for a model prediction alone (predictions are not validated knowledge);
- interactions graded minor are listed in `pairs`, not alerted (configurable);
- one alert per drug pair: an interaction and a duplicate-therapy finding on the same pair are
  merged into the stricter one, citing both;
- a suppression list ("interaction:acetylsalicylic acid+clopidogrel") silences reviewed,
  intended combinations; suppressed findings still appear in `pairs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from prescription.clinical import ClinicalRules, DoseLimit, Rule
from prescription.kb import LEVEL_ORDER, Finding, InteractionKB, stricter
from prescription.model import PairScore, PairScorer
from prescription.resolver import DrugResolver, Resolution
from prescription.schema import Alert, CheckRequest, CheckResult, DrugOrder, PairReport
from runtime.schema import ModelRef

_ROUTES = {
    "oral": {"oral", "po", "p.o.", "by mouth", "口服", "tablet", "capsule"},
    "parenteral": {
        "iv",
        "im",
        "sc",
        "intravenous",
        "intramuscular",
        "subcutaneous",
        "injection",
        "parenteral",
        "静脉",
        "静滴",
        "静注",
        "肌注",
        "肌肉注射",
        "皮下",
        "注射",
    },
    "rectal": {"pr", "rectal", "直肠", "肛塞", "纳肛"},
    "topical": {
        "topical",
        "skin",
        "cutaneous",
        "外用",
        "局部",
        "eye",
        "ear",
        "ophthalmic",
        "滴眼",
        "滴耳",
    },
    "inhaled": {"inhaled", "inhalation", "neb", "nebulised", "吸入", "雾化"},
}


def route_category(route: str | None) -> str:
    """Map a written route onto the dose table's categories; unknown or missing -> oral."""
    if route:
        written = route.strip().lower()
        for category, words in _ROUTES.items():
            if written in words or any(word in written for word in words if len(word) > 2):
                return category
    return "oral"


@dataclass(frozen=True)
class AlertPolicy:
    """Which alerts interrupt, which are silenced, when a prediction becomes an alert.

    Attributes:
        suppress: alert keys "type:drug_a+drug_b" (drugs sorted) or "type:drug" to silence.
        model_alert_threshold: P(major interaction) at or above which a prediction is alerted
            (passive) for a pair the knowledge base does not grade.
        min_interaction_level: interactions graded below this are reported in `pairs` only,
            not as alerts ("minor" findings are what doctors learn to click away).
    """

    suppress: frozenset[str] = frozenset()
    model_alert_threshold: float = 0.8
    min_interaction_level: str = "moderate"

    def interruptive(
        self, alert_type: str, severity: str, source: str, pregnancy: bool = False
    ) -> bool:
        """Interrupt for contraindicated or major knowledge, allergy, pregnancy; never the model."""
        if source == "model":
            return False
        return alert_type == "allergy" or pregnancy or severity in ("contraindicated", "major")


@dataclass
class _Item:
    """One resolved ingredient of one order."""

    drug: str
    order: DrugOrder
    product: int  # which order it came from
    current: bool
    combination: bool


@dataclass
class _Draft:
    """An alert before policy is applied."""

    type: str
    severity: str
    drugs: list[str]
    source: str
    message: str
    management: str = ""
    evidence: str = ""
    pregnancy: bool = False
    key: str = field(default="")

    def __post_init__(self) -> None:
        if not self.key:
            self.key = f"{self.type}:{'+'.join(sorted(self.drugs))}"


def _evidence(findings: list[Finding]) -> str:
    parts = []
    for finding in findings:
        text = f"{finding.source} ({finding.version}): {finding.level}"
        if finding.mechanism:
            text += f" - {finding.mechanism}"
        parts.append(text)
    return " | ".join(parts)


class PrescriptionChecker:
    """Audits prescriptions with one prescription bundle's tables and model.

    Args:
        resolver: names -> canonical ingredients.
        kb: interaction knowledge base.
        rules: curated clinical tables.
        scorer: the learned pair model.
        atc: canonical drug -> ATC codes (duplicate therapy by level-4 class).
        policy: alert policy.
        model_ref: name and version every answer carries.
    """

    def __init__(
        self,
        resolver: DrugResolver,
        kb: InteractionKB,
        rules: ClinicalRules,
        scorer: PairScorer,
        atc: dict[str, tuple[str, ...]],
        policy: AlertPolicy,
        model_ref: ModelRef,
    ) -> None:
        self.resolver = resolver
        self.kb = kb
        self.rules = rules
        self.scorer = scorer
        self.atc = atc
        self.policy = policy
        self.model_ref = model_ref
        self._class_cache: dict[str, frozenset[str]] = {}

    def check(self, request: CheckRequest, suppress: frozenset[str] = frozenset()) -> CheckResult:
        """Audit one prescription.

        Args:
            request: the validated request.
            suppress: alert keys silenced for this request, on top of the policy's list.
        """
        drafts: list[_Draft] = []
        unresolved: list[str] = []
        items: list[_Item] = []
        for current, orders in ((False, request.drugs), (True, request.current_medications)):
            for order in orders:
                resolution = self.resolver.resolve(order.name)
                if not resolution.resolved:
                    unresolved.append(order.name)
                    drafts.append(self._unknown_drug(resolution, current))
                    continue
                product = len(items)
                for drug in resolution.ingredients:
                    items.append(
                        _Item(drug, order, product, current, len(resolution.ingredients) > 1)
                    )
        pairs, pair_drafts = self._pairs(items)
        drafts += pair_drafts
        prescribed = [item for item in items if not item.current]
        drafts += self._doses(prescribed, request)
        drafts += self._contraindications(prescribed, request, unresolved)
        drafts += self._allergies(prescribed, request, unresolved)
        alerts = self._apply_policy(drafts, self.policy.suppress | suppress)
        return CheckResult(
            id=request.id, alerts=alerts, pairs=pairs, unresolved=unresolved, model=self.model_ref
        )

    # -- pairs: interactions and duplicate therapy ------------------------------------------

    def _pairs(self, items: list[_Item]) -> tuple[list[PairReport], list[_Draft]]:
        seen: dict[tuple[str, str], tuple[_Item, _Item]] = {}
        same_ingredient: dict[str, tuple[_Item, _Item]] = {}
        for x, y in combinations(items, 2):
            if (x.current and y.current) or x.product == y.product:
                # current medications were checked when prescribed; one product is intended
                continue
            if x.drug == y.drug:
                same_ingredient.setdefault(x.drug, (x, y))
                continue
            seen.setdefault((x.drug, y.drug) if x.drug <= y.drug else (y.drug, x.drug), (x, y))
        keys = list(seen)
        findings = {key: self.kb.lookup(*key) for key in keys}
        need_model = [key for key in keys if not any(f.level != "unknown" for f in findings[key])]
        scores = dict(zip(need_model, self.scorer.score(need_model), strict=True))
        reports: list[PairReport] = []
        drafts: list[_Draft] = []
        for drug, (x, y) in same_ingredient.items():
            where = "current medication" if x.current or y.current else "prescription"
            drafts.append(
                _Draft(
                    "duplicate_therapy",
                    "major",
                    [drug],
                    "knowledge_base",
                    f"{drug} is in two products ({x.order.name}; {y.order.name}) on the {where}: "
                    "risk of overdose.",
                    "Keep one product, or check the combined daily dose.",
                    "same ingredient after resolving both products",
                    key=f"duplicate_therapy:{drug}",
                )
            )
        for key in keys:
            known = findings[key]
            graded = [f for f in known if f.level != "unknown"]
            known_level = graded[0].level if graded else ("unknown" if known else None)
            score = scores.get(key)
            reports.append(self._report(key, known, known_level, score))
            draft = self._pair_alert(key, known, graded, score)
            if draft is not None:
                drafts.append(draft)
        return reports, drafts

    def _report(
        self,
        key: tuple[str, str],
        known: list[Finding],
        known_level: str | None,
        score: PairScore | None,
    ) -> PairReport:
        sources = "+".join(dict.fromkeys(f.source for f in known))
        if score is None:
            source = f"knowledge_base:{sources}"
        elif score.abstained:
            source = (
                f"knowledge_base:{sources}; " if sources else ""
            ) + f"model abstained: {score.abstained}"
        else:
            source = (f"knowledge_base:{sources}; " if sources else "") + "model"
        return PairReport(
            drugs=list(key),
            known_level=known_level,
            predicted_level=score.predicted_level if score else None,
            p_interaction=score.p_interaction if score else None,
            source=source,
        )

    def _classes(self, drug: str) -> frozenset[str]:
        classes = self._class_cache.get(drug)
        if classes is None:
            classes = self._class_cache[drug] = frozenset(
                code[:5] for code in self.atc.get(drug, ())
            )
        return classes

    def _shared_class(self, a: str, b: str) -> str | None:
        shared = sorted(self._classes(a) & self._classes(b))
        return shared[0] if shared else None

    def _pair_alert(
        self,
        key: tuple[str, str],
        known: list[Finding],
        graded: list[Finding],
        score: PairScore | None,
    ) -> _Draft | None:
        a, b = key
        level = graded[0].level if graded else None
        shared = self._shared_class(a, b)
        duplicate = shared is not None and not self.rules.duplicate_allowed(a, b)
        if duplicate and level != "contraindicated":
            severity = stricter("moderate", level) or "moderate"
            also = f" Also an interaction: {_evidence(graded)}." if graded else ""
            return _Draft(
                "duplicate_therapy",
                severity,
                [a, b],
                "knowledge_base",
                f"{a} and {b} are in the same therapeutic class (ATC {shared}): "
                f"duplicate therapy.{also}",
                next((f.management for f in graded if f.management), "Use one drug of the class."),
                f"ATC level 4 {shared}" + (f" | {_evidence(known)}" if known else ""),
            )
        if graded:
            strictest = graded[0]
            if LEVEL_ORDER.index(strictest.level) > LEVEL_ORDER.index(
                self.policy.min_interaction_level
            ):
                return None
            mechanism = next((f.mechanism for f in known if f.mechanism), "")
            dup_note = f" Same class (ATC {shared}), allow-listed as intended." if shared else ""
            if strictest.graded_by_context:
                dup_note += (
                    f" {strictest.source} grades this pair by dose or context "
                    f"({strictest.graded_by_context}); the strictest grade is shown, the "
                    "management text says when each applies."
                )
            return _Draft(
                "interaction",
                strictest.level,
                [a, b],
                "knowledge_base",
                f"{a} + {b}: {strictest.level} interaction ({strictest.source}). "
                f"{mechanism}{dup_note}".strip(),
                next((f.management for f in graded if f.management), ""),
                _evidence(known),
            )
        if (
            score is None
            or score.abstained
            or score.severity is None
            or score.p_interaction is None
        ):
            return None
        # For a pair a source lists without grading, the interaction is known: only severity is
        # predicted. For an unlisted pair both are.
        p_major = score.severity["major"] * (1.0 if known else score.p_interaction)
        if p_major < self.policy.model_alert_threshold:
            return None
        listed = (
            f" Listed without severity: {known[0].mechanism}"
            if known
            else " Not in the knowledge base."
        )
        return _Draft(
            "interaction",
            "major",
            [a, b],
            "model",
            f"Predicted (not validated) major interaction between {a} and {b}: "
            f"P(major interaction) = {p_major:.2f}.{listed}",
            "Review with a pharmacist before signing.",
            f"learned model {self.model_ref.version}: p_interaction={score.p_interaction}, "
            f"severity={score.severity}",
        )

    # -- single-drug checks -----------------------------------------------------------------

    def _unknown_drug(self, resolution: Resolution, current: bool) -> _Draft:
        hint = (
            f" Did you mean: {', '.join(resolution.suggestions)}?" if resolution.suggestions else ""
        )
        role = "current medication" if current else "prescribed drug"
        return _Draft(
            "unknown_drug",
            "moderate",
            [resolution.written],
            "knowledge_base",
            f"The {role} '{resolution.written}' is not in the drug dictionary, "
            f"so it was not checked.{hint}",
            "Check the name or enter the generic name; review this drug by hand.",
            "no alias matched after removing strengths, dosage forms and salts",
        )

    def _doses(self, prescribed: list[_Item], request: CheckRequest) -> list[_Draft]:
        drafts = []
        age, weight = request.patient.age, request.patient.weight_kg
        for item in prescribed:
            order = item.order
            if order.dose_mg is None or item.combination:
                continue  # a combination's dose is per product, not per ingredient
            route = route_category(order.route)
            daily = order.dose_mg * order.times_per_day if order.times_per_day else None
            for limit in self.rules.dose_limits(item.drug, route, age):
                if limit.unit != "mg":
                    continue
                problem = self._dose_problem(order.dose_mg, daily, limit, weight)
                if problem:
                    drafts.append(
                        _Draft(
                            "dose",
                            "major",
                            [item.drug],
                            "curated",
                            f"{item.drug} ({order.name}): {problem}",
                            "Reduce the dose or the frequency; check the patient's weight and age.",
                            f"{limit.source}; {limit.population}, {limit.route}"
                            + (f"; {limit.note}" if limit.note else ""),
                            key=f"dose:{item.drug}:{item.product}",
                        )
                    )
                    break
        return drafts

    @staticmethod
    def _dose_problem(
        dose: float, daily: float | None, limit: DoseLimit, weight: float | None
    ) -> str | None:
        single_cap, daily_cap = limit.max_single, limit.max_daily
        basis = f"{limit.population} maximum"
        if weight is not None:
            if limit.max_single_per_kg is not None:
                per_kg = limit.max_single_per_kg * weight
                single_cap = min(single_cap, per_kg) if single_cap is not None else per_kg
            if limit.max_daily_per_kg is not None:
                per_kg = limit.max_daily_per_kg * weight
                daily_cap = min(daily_cap, per_kg) if daily_cap is not None else per_kg
            if limit.max_single_per_kg is not None or limit.max_daily_per_kg is not None:
                basis += f" for {weight:g} kg"
        if single_cap is not None and dose > single_cap + 1e-9:
            return f"{dose:g} mg per dose exceeds the {basis} of {single_cap:g} mg per dose"
        if daily is not None and daily_cap is not None and daily > daily_cap + 1e-9:
            return f"{daily:g} mg per day exceeds the {basis} of {daily_cap:g} mg per day"
        return None

    def _contraindications(
        self, prescribed: list[_Item], request: CheckRequest, unresolved: list[str]
    ) -> list[_Draft]:
        patient = request.patient
        conditions: list[tuple[str, str]] = []
        for written in patient.conditions:
            condition = self.rules.condition_of(written)
            if condition is None:
                unresolved.append(f"condition: {written}")
            else:
                conditions.append((written, condition))
        drafts = []
        for item in prescribed:
            drug = item.drug
            if patient.pregnant:
                for rule in self.rules.pregnancy_rules(drug):
                    trimester = "" if rule.detail in ("", "any") else f" (trimester {rule.detail})"
                    drafts.append(
                        self._rule_draft(
                            "pregnancy",
                            drug,
                            rule,
                            f"{drug} in pregnancy{trimester}: {rule.reason}",
                            pregnancy=True,
                        )
                    )
            if patient.breastfeeding:
                for rule in self.rules.lactation_rules(drug):
                    drafts.append(
                        self._rule_draft(
                            "lactation", drug, rule, f"{drug} while breastfeeding: {rule.reason}"
                        )
                    )
            if patient.age is not None:
                for rule in self.rules.age_rules(drug, patient.age):
                    limits = " and ".join(
                        part
                        for part in (
                            f"under {rule.min_age_years:g}"
                            if rule.min_age_years is not None and patient.age < rule.min_age_years
                            else "",
                            f"over {rule.max_age_years:g}"
                            if rule.max_age_years is not None and patient.age > rule.max_age_years
                            else "",
                        )
                        if part
                    )
                    drafts.append(
                        self._rule_draft(
                            "age",
                            drug,
                            rule,
                            f"{drug} {limits} years (patient {patient.age:g}): {rule.reason}",
                        )
                    )
            for written, condition in conditions:
                for rule in self.rules.condition_rules_for(condition, drug):
                    drafts.append(
                        self._rule_draft(
                            f"condition:{condition}",
                            drug,
                            rule,
                            f"{drug} with {written}: {rule.reason}",
                        )
                    )
        return drafts

    @staticmethod
    def _rule_draft(
        why: str, drug: str, rule: Rule, message: str, pregnancy: bool = False
    ) -> _Draft:
        return _Draft(
            "contraindication",
            rule.level,
            [drug],
            "curated",
            message,
            rule.management,
            rule.source,
            pregnancy=pregnancy,
            key=f"contraindication:{why}:{drug}",
        )

    def _allergies(
        self, prescribed: list[_Item], request: CheckRequest, unresolved: list[str]
    ) -> list[_Draft]:
        drafts: dict[str, _Draft] = {}
        for written in request.patient.allergies:
            group = self.rules.allergy_group_of(written)
            allergen_drugs: tuple[str, ...] = ()
            if group:
                groups = {group}
            else:
                resolution = self.resolver.resolve(written)
                if not resolution.resolved:
                    unresolved.append(f"allergy: {written}")
                    continue
                allergen_drugs = resolution.ingredients
                groups = {g for d in allergen_drugs for g in self.rules.groups_of(d)}
            for item in prescribed:
                drug = item.drug
                draft = None
                if drug in allergen_drugs or groups & set(self.rules.groups_of(drug)):
                    shared = sorted(groups & set(self.rules.groups_of(drug)))
                    why = (
                        "the same drug"
                        if drug in allergen_drugs
                        else f"the same class ({', '.join(shared)})"
                    )
                    draft = _Draft(
                        "allergy",
                        "contraindicated",
                        [drug],
                        "curated",
                        f"Patient is allergic to '{written}'; {drug} is {why}.",
                        "Do not give; choose a drug from another class.",
                        "allergy list + curated allergy groups",
                    )
                else:
                    for group_name in sorted(groups):
                        for rule in self.rules.cross_reactions(group_name, drug):
                            if draft is None or LEVEL_ORDER.index(rule.level) < LEVEL_ORDER.index(
                                draft.severity
                            ):
                                draft = _Draft(
                                    "allergy",
                                    rule.level,
                                    [drug],
                                    "curated",
                                    f"Patient is allergic to '{written}' ({group_name}); "
                                    f"{drug} ({rule.target}) "
                                    f"may cross-react: {rule.reason}",
                                    "Avoid, or give only with allergy assessment and monitoring.",
                                    rule.source,
                                )
                if draft is not None:
                    current = drafts.get(drug)
                    if current is None or LEVEL_ORDER.index(draft.severity) < LEVEL_ORDER.index(
                        current.severity
                    ):
                        drafts[drug] = draft
        return list(drafts.values())

    # -- policy -------------------------------------------------------------------------------

    def _apply_policy(self, drafts: list[_Draft], suppress: frozenset[str]) -> list[Alert]:
        alerts: dict[str, Alert] = {}
        for draft in drafts:
            if draft.key in suppress or f"{draft.type}:{'+'.join(sorted(draft.drugs))}" in suppress:
                continue
            alert = Alert(
                type=draft.type,  # type: ignore[arg-type]
                severity=draft.severity,  # type: ignore[arg-type]
                drugs=draft.drugs,
                source=draft.source,  # type: ignore[arg-type]
                interruptive=self.policy.interruptive(
                    draft.type, draft.severity, draft.source, draft.pregnancy
                ),
                message=draft.message,
                management=draft.management,
                evidence=draft.evidence,
            )
            current = alerts.get(draft.key)
            if current is None or LEVEL_ORDER.index(alert.severity) < LEVEL_ORDER.index(
                current.severity
            ):
                alerts[draft.key] = alert
        return sorted(
            alerts.values(), key=lambda a: (not a.interruptive, LEVEL_ORDER.index(a.severity))
        )
