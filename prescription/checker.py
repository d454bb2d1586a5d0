"""PrescriptionChecker: prescription + patient profile in, alerts and per-pair reports out.

Order of work: resolve every name; check each pair of drugs (within the prescription and
against current medications) against the knowledge base, score the pairs it lacks with the
learned model; then duplicate therapy, dose, contraindications (pregnancy, lactation, age,
conditions) and allergy with cross-reactivity from the curated tables.

Alert policy (the doctors' side of alert fatigue):
- interruptive only for contraindicated and major findings (allergy included) and pregnancy
  alerts, and never for a model prediction alone (predictions are not validated knowledge);
- interactions graded minor are listed in `pairs`, not alerted (configurable);
- one alert per drug pair: an interaction and a duplicate-therapy finding on the same pair are
  merged into the stricter one, citing both;
- a suppression list ("interaction:acetylsalicylic acid+clopidogrel") silences reviewed,
  intended combinations; suppressed findings still appear in `pairs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import combinations

from prescription.clinical import (
    FREQUENCY_INTERVAL_DAYS,
    ClinicalRules,
    CourseLimit,
    DoseLimit,
    OrganRule,
    PatientContext,
    Rule,
    ScheduleRule,
    allergen_in_condition,
)
from prescription.kb import LEVEL_ORDER, Finding, InteractionKB, stricter
from prescription.messages import (
    fallback_zh,
    interaction_messages,
    mechanism_key,
    source_names,
    zh_names,
)
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
        # round 7: Chinese order abbreviations (ih = 皮下注射, ivgtt/ivd = 静脉滴注) and 静推
        "ih",
        "ivgtt",
        "ivd",
        "iv drip",
        "静推",
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
        # round 7: nasal sprays and drops act locally, as eye and ear drops do
        "intranasal",
        "nasal",
        "鼻腔",
        "鼻喷",
        "喷鼻",
        "滴鼻",
    },
    "inhaled": {"inhaled", "inhalation", "neb", "nebulised", "吸入", "雾化"},
}


# Dosage-form words in a product name that fix its route when no route is written
# ("依诺肝素钠注射液", "Ozempic pen", "沙丁胺醇吸入气雾剂"); checked in this order. Chinese words
# match anywhere, English ones as whole words ("pen" is not in "rifapentine").
_NAME_ROUTES = tuple(
    (category, re.compile("|".join(words), re.IGNORECASE))
    for category, words in (
        ("inhaled", ("吸入", "气雾剂", r"\binhal", r"\bnebul")),
        (
            "parenteral",
            (
                "注射",
                "输液",
                "针剂",
                r"\binjection",
                r"\binj\b",
                r"\bpens?\b",
                r"\bampoule",
                r"\bvial",
            ),
        ),
        (
            "topical",
            (
                "滴眼",
                "眼膏",
                "滴耳",
                "乳膏",
                "软膏",
                "凝胶",
                r"\bcream",
                r"\bointment",
                r"\beye drop",
                # round 7: nasal sprays and drops
                "鼻喷",
                "滴鼻",
                "喷鼻",
                r"\bnasal",
            ),
        ),
        ("rectal", ("栓", r"\bsuppositor")),
    )
)


def route_category(route: str | None, name: str | None = None) -> str:
    """Map a written route onto the dose table's categories; with no route written, a
    dosage-form word in the product name decides; otherwise oral."""
    if route:
        written = route.strip().lower()
        for category, words in _ROUTES.items():
            # Chinese route words are two characters ("皮下" in "皮下注射"); short Latin
            # abbreviations ("iv", "po") only match whole.
            if written in words or any(
                word in written for word in words if len(word) > 2 or not word.isascii()
            ):
                return category
        return "oral"
    if name:
        for category, pattern in _NAME_ROUTES:
            if pattern.search(name):
                return category
    return "oral"


_WEEKLY_WORDS = ("每周", "每星期", "/周", "weekly", "once a week", "per week", "qw", "q.w.", "q1w")
_MONTHLY_WORDS = ("每月", "/月", "monthly", "once a month", "per month")
_DAILY_WORDS = ("每日", "每天", "/日", "/天", "daily", "once a day", "every day", "qd", "q.d.")


def frequency_in_name(name: str) -> str | None:
    """A frequency written in the drug name ("甲氨蝶呤片 15mg 每周一次" -> weekly), else None."""
    text = " ".join(name.lower().split())
    words = set(text.replace(",", " ").split())
    for frequency, markers in (
        ("weekly", _WEEKLY_WORDS),
        ("monthly", _MONTHLY_WORDS),
        ("daily", _DAILY_WORDS),
    ):
        for marker in markers:
            ascii_word = marker.isascii() and " " not in marker
            if (marker in words) if ascii_word else (marker in text):
                return frequency
    return None


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
        """Interrupt for contraindicated or major knowledge, pregnancy; never the model.

        An allergy alert interrupts at the same grades: the drug itself or its class is
        contraindicated, a likely cross-reaction is major. A moderate cross-reactivity note
        ("no proven cross-reactivity, monitor", as for furosemide after a sulfonamide-antibiotic
        allergy) is shown but does not block; blocking it is the alert fatigue that gets allergy
        alerts overridden wholesale."""
        if source == "model":
            return False
        return pregnancy or severity in ("contraindicated", "major")


@dataclass
class _Item:
    """One resolved ingredient of one order."""

    drug: str
    order: DrugOrder
    product: int  # which order it came from
    current: bool
    combination: bool
    # Round 9: this ingredient's part of a combination product's written dose, when the
    # product's ratio is known (combination_strengths.csv); None leaves the dose unsplit.
    share: float | None = None

    @property
    def dose_mg(self) -> float | None:
        """The amount of this ingredient per dose: the order's dose for a single drug, its part
        of the product's dose for a combination of known ratio, else None (not checked)."""
        if not self.combination:
            return self.order.dose_mg
        if self.share is None or self.order.dose_mg is None:
            return None
        return self.order.dose_mg * self.share

    @cached_property
    def route(self) -> str:
        """The order's route category (`route_category`), read by the dose, course and schedule
        checks."""
        return route_category(self.order.route, self.order.name)


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
    message_zh: str = ""
    management_zh: str = ""
    # Round 7: shown but never interruptive (the pair already interrupts through `also`'s owner)
    passive: bool = False
    # Round 7: a second alert on the same pair, reported with this one (see _pair_alert)
    also: _Draft | None = None

    def __post_init__(self) -> None:
        if not self.key:
            self.key = f"{self.type}:{'+'.join(sorted(self.drugs))}"


def _evidence(findings: list[Finding]) -> str:
    """Every source's own statement, in its own language (ANSM's French text stays here only)."""
    parts = []
    for finding in findings:
        text = f"{finding.source} ({finding.version}): {finding.level}"
        if finding.when:
            text += f" when {finding.when}"
        if finding.mechanism:
            text += f" - {finding.mechanism}"
        if finding.management:
            text += f" - {finding.management}"
        parts.append(text)
    return " | ".join(parts)


# Why a conditional override's grade applies to this patient, in the alert's notes.
_WHEN_NOTES = {
    "renal_severe": (
        "Graded for this patient's renal function (eGFR/CrCl below 30).",
        "按该患者肾功能分级（eGFR/CrCl低于30）。",
    ),
    "neonate": ("Graded for a neonate (28 days or younger).", "按新生儿（≤28天）分级。"),
    "aspirin_low_dose": (
        "Graded for low-dose aspirin (<= 100 mg/day).",
        "按小剂量阿司匹林（≤100 mg/日）分级。",
    ),
    "aspirin_high_dose": ("Graded for aspirin above 100 mg/day.", "按阿司匹林>100 mg/日分级。"),
    "methotrexate_low_dose": (
        "Graded for low-dose methotrexate (<= 30 mg a dose, the weekly anti-rheumatic regimen).",
        "按小剂量甲氨蝶呤（单次≤30 mg，每周一次抗风湿方案）分级。",
    ),
    "methotrexate_high_dose": (
        "Graded for methotrexate above 30 mg a dose (oncology dosing).",
        "按甲氨蝶呤单次>30 mg（肿瘤剂量）分级。",
    ),
    "oral_route": (
        "Graded for both drugs taken by mouth (first-pass metabolism is where the interaction "
        "is largest).",
        "按两药均为口服分级（首过代谢处相互作用最强）。",
    ),
}


def _graded_notes(strictest: Finding, shared: str | None, duplicate: bool) -> tuple[str, str]:
    """(English, Chinese) notes of a graded interaction alert: its source, a shared class, and
    a grade that depends on dose or context."""
    source_en, source_zh = source_names(strictest.source)
    note_en, note_zh = f"Graded by {source_en}.", f"分级来源：{source_zh}。"
    if shared:
        # Same class but not a duplicate alert: allow-listed, or (round 5) a reviewed label
        # contraindication of its own that _pair_alert reports as the interaction.
        if duplicate:
            note_en += f" Same class (ATC {shared}): also duplicate therapy."
            note_zh += f"两药属同一类别（ATC {shared}），同时属于重复用药。"
        else:
            note_en += (
                f" Same class (ATC {shared}): not flagged as duplicate therapy "
                "(reviewed allow-list), but the interaction stands."
            )
            note_zh += (
                f"两药属同一类别（ATC {shared}），已列入重复用药豁免清单，但相互作用仍需注意。"
            )
    when = _WHEN_NOTES.get(strictest.when) if strictest.is_override else None
    if when:
        note_en += f" {when[0]}"
        note_zh += when[1]
    if strictest.graded_by_context:
        note_en += (
            f" {source_en} grades this pair by dose or context; the strictest "
            "grade is shown (see evidence for when each applies)."
        )
        note_zh += f"{source_zh}按剂量或情境分级，此处显示最严格的等级（详见证据）。"
    return note_en, note_zh


# Distinct (pair, context) answers kept per loaded bundle (~1 KB each).
PAIR_MEMO_LIMIT = 200_000

ASPIRIN = "acetylsalicylic acid"
LOW_DOSE_ASPIRIN_MG_PER_DAY = 100.0
# Patient contexts a curated override can be conditional on (pair_overrides.csv `when`).
RENAL_SEVERE = "renal_severe"  # eGFR or CrCl below 30 (CKD 4-5, dialysis), however it is known
RENAL_SEVERE_BELOW = 30.0
# Round 12: an order this many times a renal cap in severe impairment is major (_organ_dose_grade).
ORGAN_GROSS_EXCESS = 2.0
# Round 17: twice a geriatric dose cap (doses.csv "elderly" rows) is graded major.
ELDERLY_GROSS_EXCESS = 2.0
# Round 17: vitamins (A11) and calcium (A12A): one in two products is a moderate note. Potassium
# (A12B) is left out: two potassium products are a hyperkalaemia risk, graded as before.
SUPPLEMENT_ATC = ("A11", "A12A")
NEONATE = "neonate"  # 28 days old or younger
# Round 7: both orders of a pair are oral (route or dosage form, `route_category`). Oral
# midazolam with a strong CYP3A4 inhibitor is contraindicated (AUC up 5-15 fold through gut and
# liver), IV midazolam only needs monitoring: the label grades differ by route.
ORAL_ROUTE = "oral_route"
NEONATE_MAX_YEARS = 28 / 365.25


def aspirin_context(item: _Item) -> str:
    """ "aspirin_low_dose" (<= 100 mg/day), "aspirin_high_dose", or "" when the dose is unknown
    (not given, or part of a combination product)."""
    order = item.order
    if item.drug != ASPIRIN or item.combination or order.dose_mg is None:
        return ""
    daily = order.dose_mg * (order.times_per_day or 1)
    return (
        "aspirin_low_dose" if daily <= LOW_DOSE_ASPIRIN_MG_PER_DAY + 1e-9 else "aspirin_high_dose"
    )


METHOTREXATE = "methotrexate"
# Round 7: the most a low-dose (rheumatology, psoriasis) methotrexate order gives at once; the
# labels' weekly maximum is 25-30 mg, oncology doses are grams per m2.
LOW_DOSE_METHOTREXATE_MG = 30.0


def methotrexate_context(item: _Item) -> str:
    """ "methotrexate_low_dose" (one dose <= 30 mg: the weekly anti-rheumatic regimen, whose
    NSAID and leflunomide combinations are routine with monitoring), "methotrexate_high_dose",
    or "" when the dose is not written. A daily low dose is the schedule check's error, not
    this one's."""
    order = item.order
    if item.drug != METHOTREXATE or order.dose_mg is None:
        return ""
    if order.dose_mg <= LOW_DOSE_METHOTREXATE_MG + 1e-9:
        return "methotrexate_low_dose"
    return "methotrexate_high_dose"


def trimester_of(weeks: float | None) -> int | None:
    """The trimester of a gestational age in weeks (1: < 14, 2: 14-27, 3: 28 on), None when
    unknown."""
    if weeks is None:
        return None
    return 1 if weeks < 14 else 2 if weeks < 28 else 3


def trimester_applies(detail: str, trimester: int | None) -> bool:
    """Whether a pregnancy row for `detail` ("any", "1", "2-3" ...) covers the trimester; an
    unknown trimester is covered by every row (the checker cannot rule one out)."""
    if trimester is None or detail in ("", "any"):
        return True
    first, _, last = detail.partition("-")
    try:
        return int(first) <= trimester <= int(last or first)
    except ValueError:
        return True


# Round 7: what a written allergy says about the reaction. Severe (IgE-mediated or severe
# cutaneous) wins over mild when both appear; urticaria and "unknown" are neither (kept as
# written-without-reaction), as hives can be IgE-mediated.
_SEVERE_REACTION = re.compile(
    r"anaphyla|shock|angio-?edema|laryn|bronchospasm|stevens|johnson|\bsjs\b|\bten\b|"
    r"toxic epidermal|dress|exfoliat|blister|过敏性休克|休克|喉头水肿|喉水肿|血管性水肿|"
    r"血管神经性水肿|呼吸困难|支气管痉挛|剥脱|大疱|重症|严重"
)
_MILD_REACTION = re.compile(
    r"\bmild\b|\brash\b|maculopapular|itch|prurit|\bgi upset\b|nausea|diarrh|intoleran|"
    r"family history|childhood|皮疹|红疹|斑丘疹|瘙痒|皮痒|轻度|轻微|胃肠道?不适|恶心|腹泻|不耐受|"
    r"家族史|幼时|儿时|小时候"
)


def allergy_reaction(written: str) -> str:
    """ "severe", "mild" or "" (no reaction written, or one that is neither) for an allergy as
    written."""
    text = written.lower()
    if _SEVERE_REACTION.search(text):
        return "severe"
    return "mild" if _MILD_REACTION.search(text) else ""


# Round 13: a reaction written after the allergen ("卡马西平 Stevens-Johnson综合征",
# "青霉素过敏性休克", "阿莫西林(皮疹)", "penicillin - hives", "aspirin: angioedema"): the words
# that start the reaction, and the connectors between allergen and reaction ("致", "引起", "-",
# ":") left off the allergen.
_REACTION_START = re.compile(
    _SEVERE_REACTION.pattern + "|" + _MILD_REACTION.pattern + r"|urticaria|hives|wheez|swelling|"
    r"reaction|sjs|荨麻疹|风团|药疹|皮炎|哮喘|水肿|过敏性|过敏反应|反应|"
    # round 15: breathing written as the reaction ("吃阿司匹林后气喘")
    r"气喘|喘息|憋喘|气促|呼吸急促|"
    # round 16: colloquial skin words ("打了青霉素起疹子", "吃了磺胺出红斑")
    r"疹子|出疹|红斑|发痒"
)
_ALLERGEN_TAIL = re.compile(
    r"[\s\-–—:;,(（\[]+$|(?:所致|引起的?|导致的?|诱发的?|致|后出现|后)$"
    # round 15: where and how soon, between "后" and the reaction ("服用青霉素后全身皮疹",
    # "用青霉素类后起皮疹"), or the event word alone ("曾因服布洛芬出现荨麻疹")
    r"|(?<=[\u4e00-\u9fff]{2})(?:之后|后)(?:全身|周身|面部|皮肤|立即|即|马上|很快)?(?:出现|发生|起)$"
    r"|(?<=[\u4e00-\u9fff]{2})(?:之后|后)(?:全身|周身|面部|皮肤|立即|即|马上|很快)$"
    r"|(?<=[\u4e00-\u9fff]{2})(?:出现|发生)$"
    # round 16: the spoken verb of breaking out, without 后 ("吃了拜复乐起荨麻疹", "用头孢长皮疹")
    r"|(?<=[\u4e00-\u9fff]{2})(?:起了?|长了?|发了?|出了?)$"
    r"|\s+(?:and|then)\s+(?:got|had|developed|came out in)$|\s+(?:caused|gave|led to)$"
)
# Round 16: the verb of breaking out alone ("起荨麻疹"): no drug was named.
_BARE_VERB = re.compile(r"(?:起|长|发|出)了?")
# Round 15: the words that say how the drug was taken, before it ("吃阿司匹林后哮喘发作",
# "用头孢曲松后过敏性休克", "静脉注射头孢曲松钠后...", "after taking ibuprofen: wheeze").
_ALLERGEN_HEAD = re.compile(
    r"^(?:既往|曾经?|自述|患者|有)?(?:因|在)?(?:静脉注射|静脉滴注|静脉输注|肌内注射|皮下注射|"
    r"口服|服用|服了?|吃了?|使用|应用|用了?|注射|肌注|静滴|静注|静推|输注|输液|滴注|打针|打了?|"
    r"外用|涂抹?|吸入)\s*"
    r"|^(?:after|following|with|on)\s+(?:taking|using|receiving|starting|being given|a dose of)?\s*"
    r"|^(?:took|taking|given)\s+"
)
# Round 15: the reaction written first in English ("rash after amoxicillin", "anaphylaxis to
# cefazolin", "hives from penicillin").
_ALLERGEN_AFTER = re.compile(
    r"\b(?:after|from|to|with|following|due to|caused by)\s+"
    r"(?:taking\s+|using\s+|receiving\s+|a dose of\s+)?(?P<a>[a-z][\w\- ]*?)"
    r"(?=\s+(?:as|in|when|at|during|on|aged?|years?|yrs)\b|\s*[\d,;(.]|\s*$)"
)


def allergen_before_reaction(written: str) -> str | None:
    """The allergen of an allergy written as "<drug> <reaction>", else None: the text before
    the first reaction word, with connectors stripped; None when nothing precedes it. Round 15:
    how the drug was taken is left off, and a reaction written first in English ("rash after
    amoxicillin") gives the drug after it."""
    text = written.lower()
    match = _REACTION_START.search(text)
    if match is None:
        return None
    if match.start() == 0:
        after = _ALLERGEN_AFTER.search(text, match.end())
        return after["a"].strip() if after else None
    allergen = text[: match.start()]
    while True:
        stripped = _ALLERGEN_TAIL.sub("", allergen).strip()
        if stripped == allergen:
            break
        allergen = stripped
    allergen = _ALLERGEN_HEAD.sub("", allergen, count=1).strip()
    return None if _BARE_VERB.fullmatch(allergen) else allergen or None


def _organ_dose_grade(rule: OrganRule, excess: float, renal_value: float | None) -> str:
    """A renal/hepatic dose alert's grade: the row's level, or the row's `gross_excess_level`
    (major unless the row says otherwise) when a moderate renal row is broken by at least
    ORGAN_GROSS_EXCESS times its cap in severe impairment (eGFR or CrCl below
    RENAL_SEVERE_BELOW). Round 12: gabapentin 1800 mg/day or pregabalin 300 mg/day at CrCl
    15-29 and digoxin 0.25 mg at eGFR 28 are accumulation toxicity (encephalopathy, falls,
    arrhythmia), not a dose to fine-tune; twice metformin's cap at eGFR 40 stays a moderate
    dose-reduction note, as does entecavir's at any CrCl (its row keeps moderate)."""
    severe = renal_value is not None and renal_value < RENAL_SEVERE_BELOW
    if rule.level == "moderate" and severe and excess >= ORGAN_GROSS_EXCESS - 1e-9:
        return rule.gross_excess_level
    return rule.level


def _dose_grade(dose: float, daily: float | None, limit: DoseLimit) -> str:
    """A dose alert's grade: major, unless the row grades a per-kg excess lower
    (`DoseLimit.per_kg_grade`) and the dose is within the row's absolute caps, i.e. only the
    weight-based cap was passed. Round 16: an "elderly" row (a geriatric dose below the adult
    maximum, diazepam 10 mg/day from 65) is a dose-reduction note, moderate; a dose beyond the
    adult caps is still major by the adult row. Round 17: at ELDERLY_GROSS_EXCESS times the
    geriatric cap or more (digoxin 0.5 mg/day at 84, citalopram 40 mg at 82) it is major: an
    accumulation or QT toxicity dose, not one to fine-tune, as ORGAN_GROSS_EXCESS is for renal
    rows."""
    if limit.population == "elderly":
        excess = max(
            dose / limit.max_single if limit.max_single else 0.0,
            (daily or 0.0) / limit.max_daily if limit.max_daily else 0.0,
        )
        return "major" if excess >= ELDERLY_GROSS_EXCESS - 1e-9 else "moderate"
    within_single = limit.max_single is None or dose <= limit.max_single + 1e-9
    within_daily = limit.max_daily is None or daily is None or daily <= limit.max_daily + 1e-9
    return limit.per_kg_grade if within_single and within_daily else "major"


def _maintenance_regimen(order: DrugOrder, limit: CourseLimit) -> bool:
    """Round 11: whether an order's daily dose is within the course limit's maintenance dose
    (`CourseLimit.maintenance_daily_mg`): low-dose colchicine for months while allopurinol is
    started is prophylaxis, not an acute course of more than 6 mg. Round 13: nor is it a
    loading regimen kept up too long (bedaquiline 200 mg after its 400 mg fortnight)."""
    if limit.maintenance_daily_mg is None or order.dose_mg is None:
        return False
    daily = order.dose_mg * (order.times_per_day or 1)
    return daily <= limit.maintenance_daily_mg + 1e-9


def _low_dose_aspirin_in_pregnancy(item: _Item) -> bool:
    """Round 7: aspirin at <= 100 mg/day is what guidelines give in pregnancy (pre-eclampsia
    prevention, ACOG/WHO/中华医学会 2020; obstetric antiphospholipid syndrome with LMWH); the
    pregnancy rows describe analgesic doses, so low-dose aspirin gets none of them."""
    return aspirin_context(item) == "aspirin_low_dose"


def _label_contraindication(graded: list[Finding]) -> bool:
    """Whether the strictest graded finding is a reviewed (override) contraindication with a
    mechanism of its own, not duplicate therapy."""
    return bool(
        graded
        and graded[0].is_override
        and graded[0].level == "contraindicated"
        and graded[0].mechanism_key not in ("", "duplicate")
    )


def patient_contexts(context: PatientContext, age: float | None) -> tuple[str, ...]:
    """The patient facts pair overrides can depend on: `renal_severe` when eGFR or CrCl (a
    field, written in a condition such as "eGFR 25"/"CKD 4"/"透析", or Cockcroft-Gault) is
    below 30, `neonate` at 28 days or younger."""
    tags = []
    values = [m.value for m in (context.egfr, context.crcl) if m is not None]
    if values and min(values) < RENAL_SEVERE_BELOW:
        tags.append(RENAL_SEVERE)
    if age is not None and age <= NEONATE_MAX_YEARS + 1e-9:
        tags.append(NEONATE)
    return tuple(tags)


def when_tags(when: str) -> tuple[str, ...]:
    """Round 17: the facts an override's `when` names, joined by "+" (all must hold)."""
    return tuple(tag for tag in when.split("+") if tag)


def applicable(findings: list[Finding], context: str | tuple[str, ...]) -> list[Finding]:
    """Keep the one curated override that fits the pair's context (its aspirin dose,
    `aspirin_context`, and the patient's `patient_contexts`) ahead of the source findings: the
    conditional row whose `when` facts all hold (the one naming most facts, then the strictest),
    else the unconditional row; the others are dropped."""
    overrides = [f for f in findings if f.is_override]
    if not overrides:
        return findings
    tags = (context,) if isinstance(context, str) else context
    fitting = [f for f in overrides if f.when and set(when_tags(f.when)) <= set(tags)]
    # Round 17: a row naming more facts ("aspirin_low_dose+rivaroxaban_vascular_dose") describes
    # the pair more exactly than a row naming one of them, so it is chosen first; among rows
    # naming as many facts, the strictest.
    chosen = (
        min(fitting, key=lambda f: (-len(when_tags(f.when)), LEVEL_ORDER.index(f.level)))
        if fitting
        else next((f for f in overrides if not f.when), None)
    )
    rest = [f for f in findings if not f.is_override]
    return ([chosen] if chosen else []) + rest


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
        self._pair_memo: dict[
            tuple[tuple[str, str], tuple[str, ...]], tuple[PairReport, _Draft | None]
        ] = {}
        self.policy = policy
        self.model_ref = model_ref
        self._class_cache: dict[str, frozenset[str]] = {}
        self._zh: dict[str, str] | None = None

    @property
    def policy(self) -> AlertPolicy:
        """The alert policy; setting a new one forgets every remembered pair answer."""
        return self._policy

    @policy.setter
    def policy(self, policy: AlertPolicy) -> None:
        # (pair, dose context) -> the pair's report and alert draft. All a pair's answer depends
        # on is the bundle and this policy, and the same pairs come back all day (a pharmacy's
        # top few hundred drugs), so each is worked out once per policy.
        self._policy = policy
        self._pair_memo.clear()

    @property
    def zh(self) -> dict[str, str]:
        """Canonical drug -> Chinese generic name (for the Chinese messages), built once."""
        if self._zh is None:
            aliases = getattr(self.resolver, "aliases", {})
            self._zh = zh_names(aliases) if isinstance(aliases, dict) else {}
        return self._zh

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
                if resolution.kind in ("read_as", "read_in_part"):
                    # round 9: a name read from some of its words says which were left unread
                    drafts.append(self._read_as_note(resolution, current))
                product = len(items)
                combination = len(resolution.ingredients) > 1
                for drug in resolution.ingredients:
                    share = (
                        self.rules.ingredient_share(drug, resolution.ingredients, order.name)
                        if combination and order.dose_mg is not None
                        else None
                    )
                    items.append(_Item(drug, order, product, current, combination, share))
        context = self.rules.patient_context(request.patient)
        pairs, pair_drafts = self._pairs(items, patient_contexts(context, request.patient.age))
        drafts += pair_drafts
        prescribed = [item for item in items if not item.current]
        allergies = self._condition_allergies(request, context)
        unresolved += [f"condition: {written}" for written in context.unmatched]
        drafts += self._doses(prescribed, request, context)
        drafts += self._organ_function(prescribed, request, context)
        drafts += self._schedules(prescribed)
        drafts += self._courses(prescribed)
        drafts += self._release_forms(prescribed)
        drafts += self._contraindications(prescribed, request, context)
        drafts += self._allergies(prescribed, allergies, unresolved)
        alerts = self._apply_policy(drafts, self.policy.suppress | suppress)
        return CheckResult(
            id=request.id, alerts=alerts, pairs=pairs, unresolved=unresolved, model=self.model_ref
        )

    # -- pairs: interactions and duplicate therapy ------------------------------------------

    def _pairs(
        self, items: list[_Item], patient: tuple[str, ...] = ()
    ) -> tuple[list[PairReport], list[_Draft]]:
        seen: dict[tuple[str, str], tuple[_Item, _Item]] = {}
        background: dict[tuple[str, str], tuple[_Item, _Item]] = {}
        same_ingredient: dict[str, tuple[_Item, _Item]] = {}
        for x, y in combinations(items, 2):
            if x.product == y.product:
                continue  # one product is intended
            if x.drug == y.drug:
                if not (x.current and y.current):
                    same_ingredient.setdefault(x.drug, (x, y))
                continue
            key = (x.drug, y.drug) if x.drug <= y.drug else (y.drug, x.drug)
            # current medications were checked when prescribed: their pairs count only when a
            # prescribed drug adds to their risk (_shared_risks, round 14)
            (background if x.current and y.current else seen).setdefault(key, (x, y))
        answers = self._pair_answers(seen, patient)
        reports: list[PairReport] = []
        drafts: list[_Draft] = []
        drafts += [self._same_ingredient(drug, x, y) for drug, (x, y) in same_ingredient.items()]
        for key in seen:
            report, draft = answers[key]
            reports.append(report)  # frozen, so answers can share it
            if draft is not None:
                drafts.append(draft)
                if draft.also is not None:
                    drafts.append(draft.also)
        shared = self._shared_risks(
            {k: v for k, v in background.items() if k not in seen}, answers, items, patient
        )
        for report, draft in shared:
            reports.append(report)
            drafts.append(draft)
        return reports, drafts

    def _pair_answers(
        self, pairs: dict[tuple[str, str], tuple[_Item, _Item]], patient: tuple[str, ...]
    ) -> dict[tuple[str, str], tuple[PairReport, _Draft | None]]:
        """Each pair's report and draft under its context (aspirin and methotrexate doses, the
        dose context, both oral, the patient's tags), from the memo or worked out."""
        contexts = {
            key: tuple(
                t
                for t in (
                    aspirin_context(x) or aspirin_context(y),
                    methotrexate_context(x) or methotrexate_context(y),
                    self._dose_context(x) or self._dose_context(y),
                )
                if t
            )
            + ((ORAL_ROUTE,) if x.route == "oral" and y.route == "oral" else ())
            + patient
            for key, (x, y) in pairs.items()
        }
        # Read into a local dict: another thread may clear the memo between two lines here.
        answers = {key: self._pair_memo.get((key, contexts[key])) for key in pairs}
        todo = [key for key, answer in answers.items() if answer is None]
        if todo:
            answers.update(self._work_out_pairs({key: contexts[key] for key in todo}))
        return answers  # type: ignore[return-value]

    def _shared_risks(
        self,
        background: dict[tuple[str, str], tuple[_Item, _Item]],
        answers: dict[tuple[str, str], tuple[PairReport, _Draft | None]],
        items: list[_Item],
        patient: tuple[str, ...],
    ) -> list[tuple[PairReport, _Draft]]:
        """Round 14: two current medications that interact (a knowledge-base grade of moderate
        or more), when a prescribed drug interacts with both of them: the new drug adds to the
        risk they already share (an ACE inhibitor started on spironolactone plus potassium
        chloride: hyperkalaemia). Shown, never interruptive: the pair is not new."""

        def alerted(a: str, b: str) -> bool:
            draft = answers.get((a, b) if a <= b else (b, a), (None, None))[1]
            return draft is not None and draft.type == "interaction" and draft.source != "model"

        prescribed = sorted({item.drug for item in items if not item.current})
        triads = {
            key: adds
            for key in background
            if (adds := [z for z in prescribed if alerted(z, key[0]) and alerted(z, key[1])])
            # only a pair a source grades can be shown: the model is not asked for these
            and any(f.level != "unknown" for f in self.kb.lookup(*key))
        }
        if not triads:
            return []
        found = self._pair_answers({key: background[key] for key in triads}, patient)
        shared = []
        for key, adds in triads.items():
            report, draft = found[key]
            if draft is None or draft.type != "interaction" or draft.source == "model":
                continue
            names = ", ".join(adds)
            names_zh = "、".join(self.zh.get(z, z) for z in adds)
            shared.append(
                (
                    report,
                    replace(
                        draft,
                        message=f"Both current medications; {names} now prescribed adds to "
                        f"their shared risk. {draft.message}",
                        message_zh=f"两药均为当前用药，本处方{names_zh}加重二者的共同风险。"
                        f"{draft.message_zh}",
                        passive=True,
                        also=None,
                    ),
                )
            )
        return shared

    def _dose_context(self, item: _Item) -> str:
        """Round 11: the dose context of one order from dose_contexts.csv (a low-dose
        glucocorticoid), "" when its dose is unknown or part of a combination product."""
        order = item.order
        if item.combination or order.dose_mg is None:
            return ""
        return self.rules.dose_context(item.drug, order.dose_mg * (order.times_per_day or 1))

    def _same_ingredient(self, drug: str, x: _Item, y: _Item) -> _Draft:
        """One ingredient in two products: an overdose risk (major), unless the allow-list
        names the drug with itself and exactly one of the two is a modified-release product
        (release_forms.csv): scheduled slow-release morphine plus immediate-release rescue is the
        standard titration (round 6), a moderate note to check the rescue dose."""
        where = "current medication" if x.current or y.current else "prescription"
        where_zh = "当前用药" if x.current or y.current else "本处方"
        names = f"{x.order.name}; {y.order.name}"
        released = [self.rules.release_form_of(drug, i.order.name) is not None for i in (x, y)]
        if sum(released) == 1 and self.rules.duplicate_allowed(drug, drug):
            return _Draft(
                "duplicate_therapy",
                "moderate",
                [drug],
                "curated",
                f"{drug} as a modified-release and an immediate-release product ({names}): "
                "scheduled dosing with breakthrough rescue.",
                "Intended for breakthrough pain: keep each rescue dose at 10-20% of the total "
                "daily modified-release dose and re-titrate if more than 3-4 rescues a day.",
                "curated duplicate allow-list (modified-release + immediate-release rescue)",
                key=f"duplicate_therapy:{drug}",
                message_zh=f"{self.zh.get(drug, drug)}同时使用缓控释与速释制剂（{names}）："
                "按时给药加爆发痛解救。",
                management_zh="解救剂量为缓控释日剂量的10-20%；每日解救超过3-4次应重新滴定。",
            )
        if self._supplement(drug):
            return self._supplement_twice(drug, names)
        return _Draft(
            "duplicate_therapy",
            "major",
            [drug],
            "knowledge_base",
            f"{drug} is in two products ({names}) on the {where}: risk of overdose.",
            "Keep one product, or check the combined daily dose.",
            "same ingredient after resolving both products",
            key=f"duplicate_therapy:{drug}",
            message_zh=f"{self.zh.get(drug, drug)}同时存在于{where_zh}的两个药品中"
            f"（{names}）：有过量风险。",
            management_zh="只保留一种药品，或核对合计日剂量。",
        )

    def _supplement(self, drug: str) -> bool:
        """Round 17: whether a drug is a vitamin or calcium supplement (SUPPLEMENT_ATC)."""
        return any(code.startswith(SUPPLEMENT_ATC) for code in self.atc.get(drug, ()))

    def _supplement_twice(self, drug: str, names: str) -> _Draft:
        """Round 17: a vitamin or calcium in two products (the vitamin D3 of 阿仑膦酸钠维D3片
        beside a calcium-D3 tablet) is how osteoporosis and CKD regimens are written: the
        amounts add up to a supplement dose far from toxicity, so a moderate note to check the
        combined daily dose, not an overdose alarm."""
        return _Draft(
            "duplicate_therapy",
            "moderate",
            [drug],
            "curated",
            f"{drug} is in two products ({names}): check the combined daily amount.",
            "Add up the daily amount from both products; keep it within the supplement range.",
            "same ingredient after resolving both products (vitamin or mineral supplement)",
            key=f"duplicate_therapy:{drug}",
            message_zh=f"{self.zh.get(drug, drug)}同时存在于两个药品中（{names}）："
            "请核对合计日剂量。",
            management_zh="合计两种药品的每日用量，保持在补充剂量范围内。",
        )

    def _work_out_pairs(
        self, contexts: dict[tuple[str, str], tuple[str, ...]]
    ) -> dict[tuple[str, str], tuple[PairReport, _Draft | None]]:
        """Look up, score and draft each pair (-> its dose context) not seen before, and
        remember the answers."""
        if len(self._pair_memo) > PAIR_MEMO_LIMIT:
            self._pair_memo.clear()
        keys = list(contexts)
        findings = {key: applicable(self.kb.lookup(*key), contexts[key]) for key in keys}
        # The model scores pairs no source grades, and pairs whose strictest grade is a source's
        # weakest one (grade_mapping.csv consult_model): the stricter of the two is shown.
        need_model = [
            key
            for key in keys
            if not any(f.level != "unknown" for f in findings[key])
            or next(f for f in findings[key] if f.level != "unknown").consult_model
        ]
        scores = dict(zip(need_model, self.scorer.score(need_model), strict=True))
        answers = {}
        for key in keys:
            known = findings[key]
            graded = [f for f in known if f.level != "unknown"]
            known_level = graded[0].level if graded else ("unknown" if known else None)
            score = scores.get(key)
            answers[key] = self._pair_memo[(key, contexts[key])] = (
                self._report(key, known, known_level, score),
                self._pair_alert(key, known, graded, score),
            )
        return answers

    @staticmethod
    def _report(
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
        """The ATC level-4 class two drugs share, else a curated class spanning level-4 groups
        (duplicate_classes.csv: NSAID subgroups, benzodiazepines and Z-drugs)."""
        shared = sorted(self._classes(a) & self._classes(b))
        if shared:
            return shared[0]
        curated = sorted(self.rules.duplicate_classes_of(a) & self.rules.duplicate_classes_of(b))
        return curated[0] if curated else None

    def _pair_alert(
        self,
        key: tuple[str, str],
        known: list[Finding],
        graded: list[Finding],
        score: PairScore | None,
    ) -> _Draft | None:
        """The pair's one alert: duplicate therapy (citing any interaction, at its grade when
        stricter), else its strictest graded finding, else a confident prediction. Round 5: a
        reviewed contraindication between two members of one class whose reason is not the
        duplication itself (ketorolac with any other NSAID, by the ketorolac label) is reported
        as that interaction, with the duplicate noted in its message.

        A contraindicated same-class pair is still reported as duplicate therapy: two ACE
        inhibitors or two benzodiazepines are contraindicated *because* they duplicate, and the
        prescriber's fix (drop one) is the duplicate-therapy one; the alert keeps the
        contraindicated grade and cites the interaction."""
        a, b = key
        shared = self._shared_class(a, b)
        duplicate = shared is not None and not self.rules.duplicate_allowed(a, b)
        if duplicate and shared is not None and not _label_contraindication(graded):
            alert = self._duplicate_alert(key, known, graded, shared)
            if self._own_interaction(key, known, graded, shared):
                # Round 7: two drugs of one curated class spanning ATC level-4 groups (an
                # LMWH and a DOAC) with a graded interaction of their own (bleeding) are both a
                # duplicate and an interaction; the interaction is shown too, passive, since the
                # duplicate alert already interrupts for the pair.
                found = self._graded_alert(key, known, graded[0], score, shared, duplicate)
                if found is not None:
                    found.passive = True
                    alert.also = found
            return alert
        if graded:
            return self._graded_alert(key, known, graded[0], score, shared, duplicate)
        return self._predicted_alert(key, known, score)

    def _own_interaction(
        self, key: tuple[str, str], known: list[Finding], graded: list[Finding], shared: str
    ) -> bool:
        """Whether a duplicate pair also carries an interaction worth its own alert: the class is
        a curated one across ATC level-4 groups (different mechanisms, not one drug twice), and
        the strictest graded finding is major or worse with a mechanism of its own."""
        if not graded or shared in self._classes(key[0]) & self._classes(key[1]):
            return False
        strictest = graded[0]
        if strictest.level not in ("contraindicated", "major"):
            return False
        return self._mechanism(strictest, known) not in ("duplicate", "generic")

    def _duplicate_alert(
        self, key: tuple[str, str], known: list[Finding], graded: list[Finding], shared: str
    ) -> _Draft:
        """Two drugs of one ATC level-4 class; a graded interaction is cited in the message."""
        a, b = key
        zh = self.zh
        severity = stricter("moderate", graded[0].level if graded else None) or "moderate"
        dup = interaction_messages(a, b, severity, "duplicate", zh=zh)
        also_en = also_zh = ""
        if graded:
            key_i = self._mechanism(graded[0], known)
            inter = interaction_messages(a, b, graded[0].level, key_i, zh=zh)
            also_en, also_zh = f" Also: {inter.message_en}", f"另：{inter.message_zh}"
        return _Draft(
            "duplicate_therapy",
            severity,
            [a, b],
            "knowledge_base",
            f"{a} and {b} are in the same therapeutic class (ATC {shared}): "
            f"duplicate therapy.{also_en}",
            dup.management_en,
            f"ATC level 4 {shared}" + (f" | {_evidence(known)}" if known else ""),
            message_zh=f"{zh.get(a, a)}与{zh.get(b, b)}属同一治疗类别（ATC {shared}）："
            f"重复用药。{also_zh}",
            management_zh=dup.management_zh,
        )

    def _graded_alert(
        self,
        key: tuple[str, str],
        known: list[Finding],
        strictest: Finding,
        score: PairScore | None,
        shared: str | None,
        duplicate: bool,
    ) -> _Draft | None:
        """The strictest graded finding as an interaction alert (None below the policy's
        minimum level), or the model's stricter prediction for a source's weakest grade."""
        consulted = self._consulted(key, strictest, score, known)
        if consulted is not None:
            return consulted
        if LEVEL_ORDER.index(strictest.level) > LEVEL_ORDER.index(
            self.policy.min_interaction_level
        ):
            return None
        a, b = key
        note_en, note_zh = _graded_notes(strictest, shared, duplicate)
        text = interaction_messages(
            a,
            b,
            strictest.level,
            self._mechanism(strictest, known, duplicate=duplicate),
            zh=self.zh,
            note_en=note_en,
            note_zh=note_zh,
        )
        return _Draft(
            "interaction",
            strictest.level,
            [a, b],
            "curated" if strictest.is_override else "knowledge_base",
            text.message_en,
            text.management_en,
            _evidence(known),
            message_zh=text.message_zh,
            management_zh=text.management_zh,
        )

    def _predicted_alert(
        self, key: tuple[str, str], known: list[Finding], score: PairScore | None
    ) -> _Draft | None:
        """A passive alert for a pair no source grades when P(major interaction) reaches the
        policy's threshold."""
        if (
            score is None
            or score.abstained
            or score.severity is None
            or score.p_interaction is None
        ):
            return None
        a, b = key
        zh = self.zh
        # For a pair a source lists without grading, the interaction is known: only severity is
        # predicted. For an unlisted pair both are.
        p_major = score.severity["major"] * (1.0 if known else score.p_interaction)
        if p_major < self.policy.model_alert_threshold:
            return None
        listed = " Listed by a source without severity." if known else " Not in the knowledge base."
        listed_zh = "来源列出但未分级。" if known else "知识库中无此药对。"
        return _Draft(
            "interaction",
            "major",
            [a, b],
            "model",
            f"Predicted (not validated) major interaction between {a} and {b}: "
            f"P(major interaction) = {p_major:.2f}.{listed}",
            "Review with a pharmacist before signing.",
            f"learned model {self.model_ref.version}: p_interaction={score.p_interaction}, "
            f"severity={score.severity}" + (f" | {_evidence(known)}" if known else ""),
            message_zh=f"模型预测（未经验证）{zh.get(a, a)}与{zh.get(b, b)}可能存在严重相互作用："
            f"P = {p_major:.2f}。{listed_zh}",
            management_zh="签署前请药师审核。",
        )

    @staticmethod
    def _mechanism(strictest: Finding, known: list[Finding], duplicate: bool = False) -> str:
        """The message template's mechanism key: the override's, else from the source texts."""
        if strictest.mechanism_key:
            return strictest.mechanism_key
        key = mechanism_key(f.mechanism for f in known if f.mechanism)
        return "duplicate" if key == "generic" and duplicate else key

    def _consulted(
        self,
        key: tuple[str, str],
        strictest: Finding,
        score: PairScore | None,
        known: list[Finding],
    ) -> _Draft | None:
        """When the only grade is a source's weakest one, the model's prediction is consulted;
        if it is stricter (and its probability is at least 0.5) it is shown, non-interruptive."""
        if not strictest.consult_model or strictest.is_override:
            return None
        if score is None or score.abstained or score.severity is None:
            return None
        predicted = score.predicted_level
        if predicted is None or stricter(predicted, strictest.level) == strictest.level:
            return None
        if score.severity[predicted] < 0.5 or LEVEL_ORDER.index(predicted) > LEVEL_ORDER.index(
            self.policy.min_interaction_level
        ):
            return None
        a, b = key
        p = score.severity[predicted]
        text = interaction_messages(
            a,
            b,
            predicted,
            self._mechanism(strictest, known),
            zh=self.zh,
            note_en=f"{strictest.source} grades it {strictest.level} (its weakest grade); the "
            f"learned model predicts {predicted} (P = {p:.2f}), the stricter is shown "
            "(prediction, not validated).",
            note_zh=f"{strictest.source}将其列为{strictest.level}（最低等级）；学习模型预测为"
            f"{predicted}（P = {p:.2f}），此处显示较严格者（模型预测，未经验证）。",
        )
        return _Draft(
            "interaction",
            predicted,
            [a, b],
            "model",
            text.message_en,
            text.management_en,
            f"learned model {self.model_ref.version}: severity={score.severity} | "
            + _evidence(known),
            message_zh=text.message_zh,
            management_zh=text.management_zh,
        )

    # -- single-drug checks -----------------------------------------------------------------

    def _read_as_note(self, resolution: Resolution, current: bool) -> _Draft:
        """Round 8: a misspelt name read as a known drug is checked as that drug, and says so (a
        minor, never interruptive note), so the pharmacist confirms the reading."""
        role = "current medication" if current else "prescribed drug"
        drugs = ", ".join(resolution.ingredients)
        names = "、".join(self.zh.get(d, d) for d in resolution.ingredients)
        return _Draft(
            "name_read_as",
            "minor",
            [resolution.written, *resolution.ingredients],
            "knowledge_base",
            f"The {role} '{resolution.written}' is not a known name; it was read as "
            f"'{resolution.matched}' ({drugs}) and checked as that drug.",
            "Confirm the drug and correct the name on the prescription.",
            resolution.source,
            message_zh=f"药品名称“{resolution.written}”未能直接识别，已按“{resolution.matched}”"
            f"（{names}）审核。",
            management_zh="请确认药品并更正处方上的名称。",
        )

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

    def _doses(
        self, prescribed: list[_Item], request: CheckRequest, context: PatientContext
    ) -> list[_Draft]:
        drafts = []
        age, weight = request.patient.age, request.patient.weight_kg
        conditions = frozenset(condition for _, condition in context.conditions)
        for item in prescribed:
            order, dose = item.order, item.dose_mg
            if dose is None:
                continue  # a combination of unknown ratio: its dose is per product
            route = item.route
            daily = dose * order.times_per_day if order.times_per_day else None
            frequency = order.frequency or frequency_in_name(order.name)
            intermittent = frequency in ("weekly", "monthly")
            for limit in self.rules.dose_limits(item.drug, route, age, intermittent, conditions):
                if limit.unit != "mg":
                    continue
                problem = self._dose_problem(dose, daily, limit, weight)
                if problem:
                    grade = _dose_grade(dose, daily, limit)
                    band = self._next_band_dose(item, daily, limit, age, weight)
                    if band:
                        grade, problem = "moderate", f"{problem} ({band})"
                    drafts.append(
                        _Draft(
                            "dose",
                            grade,
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

    def _next_band_dose(
        self,
        item: _Item,
        daily: float | None,
        limit: DoseLimit,
        age: float | None,
        weight: float | None,
    ) -> str:
        """Round 11: why an excess over a child's band cap is only a boundary call (moderate):
        the dose is within the next age band's caps (`ClinicalRules.next_age_band`) and within
        the exceeded row's own per-kg caps; "" when it is not (the alert stays as graded). A
        4-year-old given the 6-14-year montelukast dose is a note, an adult dose by weight in
        a toddler is not."""
        dose = item.dose_mg
        if age is None or dose is None or limit.population != "pediatric":
            return ""
        band = self.rules.next_age_band(item.drug, item.route, age, limit)
        per_kg_only = replace(limit, max_single=None, max_daily=None)
        if (
            band is None
            or self._dose_problem(dose, daily, band, weight) is not None
            or self._dose_problem(dose, daily, per_kg_only, weight) is not None
        ):
            return ""
        upper = f"-{band.max_age_years:g}" if band.max_age_years is not None else "+"
        return (
            f"the dose of the {band.min_age_years:g}{upper}-year band, given at age {age:g}: "
            "check the child's size and the product"
        )

    @staticmethod
    def _dose_problem(
        dose: float, daily: float | None, limit: DoseLimit, weight: float | None
    ) -> str | None:
        single_cap, daily_cap = limit.max_single, limit.max_daily
        basis = f"{limit.population} maximum"
        if limit.condition:
            basis += f" in {limit.condition.replace('|', ' or ').replace('_', ' ')}"
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
        self, prescribed: list[_Item], request: CheckRequest, context: PatientContext
    ) -> list[_Draft]:
        """Pregnancy, lactation, age and condition rows of each prescribed drug, in that order."""
        patient = request.patient
        drafts: list[_Draft] = []
        # Round 5: pregnancy and breastfeeding written among the conditions ("妊娠10周", "哺乳期")
        # count unless the patient field says otherwise (an explicit False wins).
        pregnant, pregnancy_note = patient.pregnant, ""
        if pregnant is None and context.pregnancy is not None:
            pregnant = True
            weeks = context.pregnancy_weeks
            pregnancy_note = f" [pregnancy written in '{context.pregnancy}'" + (
                f", {weeks:g} weeks]" if weeks is not None else "]"
            )
        breastfeeding, lactation_note = patient.breastfeeding, ""
        if breastfeeding is None and context.breastfeeding is not None:
            breastfeeding = True
            lactation_note = f" [breastfeeding written in '{context.breastfeeding}']"
        trimester = trimester_of(context.pregnancy_weeks)
        for item in prescribed:
            drug = item.drug
            if pregnant and not _low_dose_aspirin_in_pregnancy(item):
                drafts += self._pregnancy_rows(drug, pregnancy_note, trimester)
            if breastfeeding:
                drafts += [
                    self._rule_draft(
                        "lactation",
                        drug,
                        rule,
                        f"{drug} while breastfeeding{lactation_note}: {rule.reason}",
                    )
                    for rule in self.rules.lactation_rules(drug)
                ]
            if patient.age is not None:
                drafts += self._age_rows(drug, patient.age)
            drafts += self._condition_rows(drug, context, patient.age)
        return drafts

    def _pregnancy_rows(
        self, drug: str, note: str = "", trimester: int | None = None
    ) -> list[_Draft]:
        """The drug's pregnancy rows; with the gestational week known (round 7: "孕16周" among
        the conditions) only the rows of that trimester, else every row (the strictest shows)."""
        drafts = []
        for rule in self.rules.pregnancy_rules(drug):
            if not trimester_applies(rule.detail, trimester):
                continue
            which = "" if rule.detail in ("", "any") else f" (trimester {rule.detail})"
            drafts.append(
                self._rule_draft(
                    "pregnancy",
                    drug,
                    rule,
                    f"{drug} in pregnancy{which}{note}: {rule.reason}",
                    pregnancy=True,
                )
            )
        return drafts

    def _age_rows(self, drug: str, age: float) -> list[_Draft]:
        """Age rows, each naming the limit the patient is past (under a minimum, over a maximum)."""
        drafts = []
        for rule in self.rules.age_rules(drug, age):
            limits = " and ".join(
                part
                for part in (
                    f"under {rule.min_age_years:g}"
                    if rule.min_age_years is not None and age < rule.min_age_years
                    else "",
                    f"over {rule.max_age_years:g}"
                    if rule.max_age_years is not None and age > rule.max_age_years
                    else "",
                )
                if part
            )
            drafts.append(
                self._rule_draft(
                    "age", drug, rule, f"{drug} {limits} years (patient {age:g}): {rule.reason}"
                )
            )
        return drafts

    def _condition_rows(
        self, drug: str, context: PatientContext, age: float | None = None
    ) -> list[_Draft]:
        """Condition rows of one drug, less those a graded renal or hepatic table replaces, and
        less the rows limited to children (round 10) when the patient is older or of unknown age."""
        drafts: list[_Draft] = []
        renal_known = context.egfr is not None or context.crcl is not None
        for written, condition in context.conditions:
            # With a known eGFR/CrCl or hepatic severity, the graded renal/hepatic tables
            # (_organ_function) replace the generic condition rows for the drugs they cover.
            graded = (
                condition == "renal_impairment" and renal_known and self.rules.has_renal_rules(drug)
            ) or (
                condition == "hepatic_impairment"
                and context.hepatic is not None
                and self.rules.has_hepatic_rules(drug)
            )
            if graded:
                continue
            drafts += [
                self._rule_draft(
                    f"condition:{condition}", drug, rule, f"{drug} with {written}: {rule.reason}"
                )
                for rule in self.rules.condition_rules_for(condition, drug, age)
            ]
        return drafts

    def _organ_function(
        self, prescribed: list[_Item], request: CheckRequest, context: PatientContext
    ) -> list[_Draft]:
        """Renal (eGFR/CrCl bands) and hepatic (severity) contraindications and dose caps."""
        drafts = []
        weight = request.patient.weight_kg
        for item in prescribed:
            for organ, rule, basis, value in self._organ_rows(item, context):
                if rule.kind == "contraindication":
                    drafts.append(
                        _Draft(
                            "contraindication",
                            rule.level,
                            [item.drug],
                            "curated",
                            f"{item.drug} with {basis}: {rule.reason}",
                            rule.management,
                            rule.source,
                            key=f"contraindication:{organ}:{item.drug}:{rule.level}",
                        )
                    )
                    continue
                found = self._organ_dose_problem(item, rule, weight)
                if found:
                    problem, excess = found
                    drafts.append(
                        _Draft(
                            "dose",
                            _organ_dose_grade(rule, excess, value),
                            [item.drug],
                            "curated",
                            f"{item.drug} ({item.order.name}) with {basis}: {problem}. "
                            f"{rule.reason}",
                            rule.management,
                            rule.source,
                            key=f"dose:{organ}:{item.drug}:{item.product}",
                        )
                    )
        return drafts

    def _organ_rows(
        self, item: _Item, context: PatientContext
    ) -> list[tuple[str, OrganRule, str, float | None]]:
        """The renal and hepatic rows that apply to one order, each with its organ, its basis and
        the eGFR/CrCl it was read at (None for a hepatic row).

        Round 12: hepatic impairment written with no severity ("肝功能不全", "慢性乙肝
        肝功能异常") takes the rows that hold at any severity (`min_severity` mild) for a drug
        the generic condition table does not cover, so a drug graded only by severity
        (terbinafine, isotretinoin, agomelatine) is no longer silent; a drug with its own
        hepatic_impairment condition row keeps that row alone (no second alert)."""
        drug = item.drug
        found: list[tuple[str, OrganRule, str, float | None]] = [
            (
                "renal",
                rule,
                f"{'CrCl' if rule.measure == 'crcl' else 'eGFR'} "
                f"{measure.value:g} ({measure.basis})",
                measure.value,
            )
            for rule, measure in self.rules.renal_rules(drug, context)
            if rule.route in ("any", item.route)
        ]
        if context.hepatic is not None:
            severity, basis = context.hepatic
            rules = self.rules.hepatic_rules(drug, severity)
            return found + [("hepatic", rule, basis, None) for rule in rules]
        written = [w for w, condition in context.conditions if condition == "hepatic_impairment"]
        if written and not any(self.rules.condition_rules_for("hepatic_impairment", drug)):
            basis = f"hepatic impairment ('{written[0]}'; severity not given)"
            rules = self.rules.hepatic_rules(drug, "mild")
            found += [("hepatic", rule, basis, None) for rule in rules]
        return found

    @staticmethod
    def _organ_dose_problem(
        item: _Item, rule: OrganRule, weight: float | None
    ) -> tuple[str, float] | None:
        """How an order breaks a renal/hepatic dose row and by what factor of the cap (1.0
        for a row without a cap), or None (combinations of unknown ratio are skipped; round 9:
        one of known ratio is checked on this ingredient's part)."""
        order, dose = item.order, item.dose_mg
        if not rule.has_cap:
            return "the dose must be adjusted", 1.0
        if dose is None:
            return None
        times = order.times_per_day
        interval = FREQUENCY_INTERVAL_DAYS.get(order.frequency or "daily", 1)
        # Average amount per day: a 750 mg dose every 48 h counts as 375 mg/day.
        # No doses a day written: at least one, so the dose itself bounds the daily amount.
        daily = dose * (times or 1) / interval
        if rule.max_times_per_day is not None and times and times > rule.max_times_per_day:
            return (
                f"{times} doses a day; at most {rule.max_times_per_day:g} a day",
                times / rule.max_times_per_day,
            )
        if rule.max_single is not None and dose > rule.max_single + 1e-9:
            return f"{dose:g} mg per dose exceeds {rule.max_single:g} mg", dose / rule.max_single
        if rule.max_daily is not None and daily > rule.max_daily + 1e-9:
            return f"{daily:g} mg/day exceeds {rule.max_daily:g} mg/day", daily / rule.max_daily
        if weight is not None and rule.max_daily_per_kg is not None:
            cap = rule.max_daily_per_kg * weight
            if daily > cap + 1e-9:
                return (
                    f"{daily:g} mg/day exceeds {rule.max_daily_per_kg:g} mg/kg/day ({cap:g} mg)",
                    daily / cap,
                )
        return None

    def _release_forms(self, prescribed: list[_Item]) -> list[_Draft]:
        """Modified-release products ordered more often than their release profile allows
        (拜新同 three times a day, OxyContin every 4 h): round 5, `release_forms.csv`."""
        drafts = []
        for item in prescribed:
            order = item.order
            times = order.times_per_day
            if times is None or (order.frequency or "daily") != "daily":
                continue
            form = self.rules.release_form_of(item.drug, order.name)
            if form is None or times <= form.max_times_per_day:
                continue
            allowed = "once" if form.max_times_per_day == 1 else f"{form.max_times_per_day} times"
            drafts.append(
                _Draft(
                    "dose",
                    form.level,
                    [item.drug],
                    "curated",
                    f"{item.drug} ({order.name}) is a modified-release product ('{form.marker}') "
                    f"given at most {allowed} a day; ordered {times} times a day. {form.reason}",
                    form.management,
                    form.source,
                    key=f"dose:release:{item.drug}:{item.product}",
                )
            )
        return drafts

    def _courses(self, prescribed: list[_Item]) -> list[_Draft]:
        """Courses longer, or larger in total, than the drug's course limit."""
        drafts = []
        for item in prescribed:
            order = item.order
            if order.duration_days is None:
                continue
            for limit in self.rules.course_limits_for(item.drug, item.route):
                problems = []
                # round 13: a loading phase's length (bedaquiline 400 mg daily for 2 weeks)
                # does not bound the maintenance dose that follows it
                if (
                    limit.max_duration_days is not None
                    and order.duration_days > limit.max_duration_days
                    and not _maintenance_regimen(order, limit)
                ):
                    problems.append(
                        f"a {order.duration_days}-day course (limit {limit.max_duration_days:g} "
                        "days)"
                    )
                interval = FREQUENCY_INTERVAL_DAYS.get(order.frequency or "daily", 1)
                if (
                    limit.max_course_mg is not None
                    and order.dose_mg is not None
                    and not item.combination
                    and not _maintenance_regimen(order, limit)
                ):
                    dosing_days = -(-order.duration_days // interval)  # ceiling
                    total = order.dose_mg * (order.times_per_day or 1) * dosing_days
                    if total > limit.max_course_mg + 1e-9:
                        problems.append(
                            f"{total:g} mg over the course (limit {limit.max_course_mg:g} mg)"
                        )
                if not problems:
                    continue
                drafts.append(
                    _Draft(
                        "dose",
                        limit.level,
                        [item.drug],
                        "curated",
                        f"{item.drug} ({order.name}): {'; '.join(problems)}. {limit.reason}",
                        limit.management,
                        limit.source,
                        key=f"dose:course:{item.drug}:{item.product}",
                    )
                )
        return drafts

    def _schedules(self, prescribed: list[_Item]) -> list[_Draft]:
        """Weekly/monthly-only strengths ordered daily, or with no frequency stated."""
        drafts = []
        for item in prescribed:
            order = item.order
            if order.dose_mg is None or item.combination:
                continue
            rules = self.rules.schedule_rules(item.drug, item.route)
            if not rules:
                continue
            rule = rules[0]
            level, problem = _schedule_problem(
                rule, order, order.frequency or frequency_in_name(order.name)
            )
            if level is None:
                continue
            drafts.append(
                _Draft(
                    "dose",
                    level,
                    [item.drug],
                    "curated",
                    f"{item.drug} ({order.name}): {problem}. {rule.reason}",
                    rule.management,
                    rule.source,
                    key=f"dose:schedule:{item.drug}:{item.product}",
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

    def _condition_allergies(self, request: CheckRequest, context: PatientContext) -> list[str]:
        """The patient's allergy list plus drug allergies written among the conditions
        ("青霉素过敏性休克史", "allergic to sulfa"): an unmatched condition whose allergen is an
        allergy class term or a drug is read as an allergy (and is no longer unresolved)."""
        allergies = list(request.patient.allergies)
        unmatched: list[str] = []
        for written in context.unmatched:
            allergen = allergen_in_condition(written)
            if allergen and (
                self.rules.allergy_group_of(allergen) or self.resolver.resolve(allergen).resolved
            ):
                if allergen not in allergies:
                    allergies.append(allergen)
            else:
                unmatched.append(written)
        context.unmatched = unmatched
        return allergies

    def _allergies(
        self, prescribed: list[_Item], allergies: list[str], unresolved: list[str]
    ) -> list[_Draft]:
        drafts: dict[str, _Draft] = {}
        for written in allergies:
            found = self._allergen(written)
            if found is None:
                unresolved.append(f"allergy: {written}")
                continue
            groups, allergen_drugs = found
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
                    draft = self._cross_reaction(written, groups, drug)
                if draft is not None:
                    current = drafts.get(drug)
                    if current is None or LEVEL_ORDER.index(draft.severity) < LEVEL_ORDER.index(
                        current.severity
                    ):
                        drafts[drug] = draft
        return list(drafts.values())

    def _allergen(self, written: str) -> tuple[set[str], tuple[str, ...]] | None:
        """An allergy as written -> (allergy groups, allergen drugs), or None when neither a
        class nor a drug is recognised. The whole entry is tried first, then (round 7) its
        allergen as `allergen_in_condition` reads it ("对青霉素过敏", "青霉素皮试阳性"), then
        (round 13) the part before a written reaction ("卡马西平 Stevens-Johnson综合征")."""
        candidates = [written]
        for allergen in (allergen_in_condition(written), allergen_before_reaction(written)):
            if allergen and allergen not in candidates:
                candidates.append(allergen)
        for text in candidates:
            group = self.rules.allergy_group_of(text)
            if group:
                return {group}, ()
            resolution = self.resolver.resolve(text)
            if resolution.resolved:
                drugs = resolution.ingredients
                return {g for d in drugs for g in self.rules.groups_of(d)}, drugs
        return None

    def _cross_reaction(self, written: str, groups: set[str], drug: str) -> _Draft | None:
        """The strictest cross-reactivity row between the allergy's groups and the drug. Round
        7: a major cross-reaction after a reaction written as mild and non-IgE ("penicillin (mild
        rash in childhood)", "青霉素 皮疹") is a moderate, non-interruptive caution, as the
        AAAAI/ACAAI 2022 practice parameter lets such patients take a cephalosporin without
        testing; a severe reaction or none written keeps the row's grade."""
        draft = None
        mild = allergy_reaction(written) == "mild"
        for group_name in sorted(groups):
            for rule in self.rules.cross_reactions(group_name, drug):
                level = "moderate" if mild and rule.level == "major" else rule.level
                if draft is None or LEVEL_ORDER.index(level) < LEVEL_ORDER.index(draft.severity):
                    note = (
                        " The reaction written is mild and non-IgE: caution, not a block."
                        if (level != rule.level)
                        else ""
                    )
                    draft = _Draft(
                        "allergy",
                        level,
                        [drug],
                        "curated",
                        f"Patient is allergic to '{written}' ({group_name}); "
                        f"{drug} ({rule.target}) may cross-react: {rule.reason}{note}",
                        "Avoid, or give only with allergy assessment and monitoring.",
                        rule.source,
                    )
        return draft

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
                interruptive=not draft.passive
                and self.policy.interruptive(
                    draft.type, draft.severity, draft.source, draft.pregnancy
                ),
                message=draft.message,
                management=draft.management,
                evidence=draft.evidence,
                message_en=draft.message,
                management_en=draft.management,
                message_zh=draft.message_zh or fallback_zh(draft.type, draft.drugs, self.zh)[0],
                management_zh=draft.management_zh
                or fallback_zh(draft.type, draft.drugs, self.zh)[1],
            )
            current = alerts.get(draft.key)
            if current is None or LEVEL_ORDER.index(alert.severity) < LEVEL_ORDER.index(
                current.severity
            ):
                alerts[draft.key] = alert
        return sorted(
            alerts.values(), key=lambda a: (not a.interruptive, LEVEL_ORDER.index(a.severity))
        )


def _schedule_problem(
    rule: ScheduleRule, order: DrugOrder, frequency: str | None
) -> tuple[str | None, str]:
    """The level and wording of a weekly/monthly-only drug's scheduling error, else (None, "").

    Daily (or every other day) above the daily-regimen maximum: the row's level; several doses a
    day with no frequency above it: major; an intermittent strength with no frequency: moderate
    (confirm); round 15: a weekly or monthly order above the row's weekly cap: major."""
    dose = order.dose_mg or 0.0
    times = order.times_per_day or 1
    daily = dose * times
    over = daily > rule.max_daily_on_daily_regimen + 1e-9
    if frequency in ("daily", "every_other_day") and over:
        return rule.level_daily, f"ordered {frequency.replace('_', ' ')} ({daily:g} mg a day)"
    if frequency is None and times > 1 and over:
        return "major", (
            f"{times} doses a day ({daily:g} mg a day) with no frequency: a daily regimen "
            "(if this is a split weekly dose, set frequency to weekly)"
        )
    if frequency is None and dose >= rule.intermittent_from_dose:
        return "moderate", f"{dose:g} mg with no frequency: confirm the weekly/monthly schedule"
    interval = FREQUENCY_INTERVAL_DAYS.get(frequency or "", 0)
    if rule.max_weekly is not None and interval >= 7:
        weekly = daily * 7 / interval
        if weekly > rule.max_weekly + 1e-9:
            return "major", (
                f"ordered {frequency} ({weekly:g} mg a week; at most {rule.max_weekly:g} mg a "
                "week on its intermittent regimen)"
            )
    return None, ""
