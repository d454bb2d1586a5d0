"""ClinicalRules: the project-curated tables (doses, pregnancy, lactation, allergy, age,
conditions, intended combinations, renal and hepatic limits, dosing schedules), loaded from a
bundle (torch-free).

A table's `target` names one canonical drug or a class by ATC prefix (`atc:M01A`); a drug
matches a class when any of its ATC codes starts with the prefix.

Patient context (`ClinicalRules.patient_context`): renal function and hepatic impairment come
from the patient's fields first, then from the written conditions ("eGFR 25", "CrCl 28",
"慢性肾病4期", "severe renal impairment", "肝硬化 Child-Pugh C"), and CrCl from serum creatinine
by Cockcroft-Gault. See `parse_condition` for what is read from a condition and how a stage or a
severity word becomes a number.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prescription.names import name_key, name_variants
from prescription.schema import Patient

CURATED_TABLES = (
    "doses.csv",
    "pregnancy.csv",
    "lactation.csv",
    "allergy_terms.csv",
    "allergy_groups.csv",
    "cross_reactivity.csv",
    "age_restrictions.csv",
    "conditions.csv",
    "condition_contraindications.csv",
    "duplicate_allowlist.csv",
    "renal.csv",
    "hepatic.csv",
    "schedules.csv",
    "course_limits.csv",
    "duplicate_classes.csv",
    "release_forms.csv",
    "combination_strengths.csv",
    "dose_contexts.csv",
)
# Added after bundles had been built without them: a bundle that lacks one loads with the table
# empty (and a warning), so an older bundle keeps working without the new checks.
OPTIONAL_TABLES = frozenset(
    {
        "renal.csv",
        "hepatic.csv",
        "schedules.csv",
        "course_limits.csv",
        "duplicate_classes.csv",
        "release_forms.csv",
        "combination_strengths.csv",
        "dose_contexts.csv",
    }
)
BUNDLE_PREFIX = "curated_"
HEPATIC_SEVERITIES = ("none", "mild", "moderate", "severe")
FREQUENCY_INTERVAL_DAYS = {"daily": 1, "every_other_day": 2, "weekly": 7, "monthly": 30}
# Round 11: dose contexts a pair override's `when` can name, read from dose_contexts.csv (an
# order of the target at or below max_daily_mg a day is in the context).
DOSE_CONTEXTS = (
    "glucocorticoid_low_dose",
    # round 17: doses that make a listed pair an intended regimen (see dose_contexts.csv)
    "rivaroxaban_vascular_dose",
    "dolutegravir_twice_daily",
    "raltegravir_twice_daily",
    "trazodone_low_dose",
)
DOSE_FREQUENCIES = ("", "weekly")

logger = logging.getLogger(__name__)
# Generic words written after an allergy class ("磺胺类抗菌药", "头孢类抗生素", "sulfa drugs"):
# the class term without them is what allergy_terms.csv lists.
_ALLERGY_CLASS_SUFFIX = re.compile(
    r"(抗菌药物|抗菌药|抗生素类?|类?药物|类?药品|类?药|\s+(antibiotics?|drugs?|medicines?))$"
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(handle)]


def read_tables(folder: Path, prefix: str = BUNDLE_PREFIX) -> dict[str, list[dict[str, str]]]:
    """Every curated table (`<prefix><name>.csv`) in a folder, cells stripped; an optional
    table a folder lacks (an older bundle) is empty, with a warning."""
    tables: dict[str, list[dict[str, str]]] = {}
    for name in CURATED_TABLES:
        path = folder / f"{prefix}{name}"
        if name in OPTIONAL_TABLES and not path.exists():
            logger.warning("%s has no %s: those checks are off", folder, path.name)
            tables[name] = []
            continue
        tables[name] = _rows(path)
    return tables


def allergy_keys(written: str) -> Iterator[str]:
    """Keys to look a written allergy up by in allergy_terms.csv, most specific first: each
    `name_variants` key, then the same without a trailing generic word ("抗菌药", "drugs")."""
    for key in name_variants(written):
        yield key
        stripped = _ALLERGY_CLASS_SUFFIX.sub("", key).strip()
        if stripped and stripped != key:
            yield stripped


def _number(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


@dataclass(frozen=True)
class DoseLimit:
    """Maximum doses for one drug, route and age range (mg, or IU when `unit` says so)."""

    target: str
    route: str
    population: str
    max_single: float | None
    max_daily: float | None
    max_single_per_kg: float | None
    max_daily_per_kg: float | None
    unit: str
    min_age_years: float | None
    max_age_years: float | None
    source: str
    note: str
    # Round 7: the grade when only a per-kg cap is exceeded and the dose stays within the
    # absolute maximum ("moderate" for hydroxychloroquine's 5 mg/kg/day, a long-term retinal
    # toxicity threshold, not an overdose); "major" otherwise and for tables without the column.
    per_kg_grade: str = "major"
    # Round 11: "weekly" for a row that holds only for orders given weekly or less often (the
    # intermittent regimen of a drug whose other rows describe daily dosing: azithromycin
    # 1200 mg once weekly for MAC prophylaxis); "" (every older row) for any order.
    frequency: str = ""
    # Round 14: condition ids ("|"-separated, conditions.csv) a row holds for alone: the dose of
    # one indication below the drug's highest licensed dose (tofacitinib 5 mg twice daily in
    # rheumatoid arthritis, 10 mg twice daily only for ulcerative colitis induction); "" (every
    # older row) for any patient.
    condition: str = ""


@dataclass(frozen=True)
class Rule:
    """A curated contraindication-style rule (pregnancy, lactation, age, condition, allergy)."""

    target: str
    level: str
    reason: str
    management: str
    source: str
    detail: str = ""  # trimester, age range, condition id or allergy group, as applicable
    min_age_years: float | None = None
    max_age_years: float | None = None


@dataclass(frozen=True)
class OrganRule:
    """A renal (`renal.csv`) or hepatic (`hepatic.csv`) rule for one drug or class.

    Renal rules apply when `low <= value < high` for their `measure` (egfr or crcl); hepatic
    rules apply at `min_severity` and worse. `kind` "contraindication" always alerts; "dose"
    alerts when the order exceeds a cap, or, when the row has no cap, whenever it applies (the
    dose must be adjusted, e.g. aminoglycosides by levels).
    """

    target: str
    kind: str
    level: str
    reason: str
    management: str
    source: str
    measure: str = ""
    low: float = 0.0
    high: float | None = None
    min_severity: str = ""
    max_single: float | None = None
    max_daily: float | None = None
    max_daily_per_kg: float | None = None
    max_times_per_day: float | None = None
    # Round 6 (renal.csv `route`, blank = any): IV aciclovir is reduced at a CrCl where the
    # oral zoster dose is not.
    route: str = "any"
    # Round 12 (renal.csv `gross_excess_level`, blank = major): the grade of a dose at least
    # twice the cap in severe renal impairment; "moderate" keeps low-toxicity drugs (entecavir,
    # the gliptins) at the row's own grade.
    gross_excess_level: str = "major"

    @property
    def has_cap(self) -> bool:
        """Whether the row limits the dose (otherwise any dose needs adjusting)."""
        caps = (self.max_single, self.max_daily, self.max_daily_per_kg, self.max_times_per_day)
        return any(cap is not None for cap in caps)


def _organ_rule(row: dict[str, str], **band: Any) -> OrganRule:
    """An OrganRule from a renal.csv or hepatic.csv row: the columns both tables share, plus
    the table's own band and caps."""
    return OrganRule(
        target=row["target"],
        kind=row["kind"],
        level=row["level"],
        reason=row["reason"],
        management=row["management"],
        source=row["source"],
        max_single=_number(row["max_single"]),
        max_daily=_number(row["max_daily"]),
        **band,
    )


@dataclass(frozen=True)
class ScheduleRule:
    """A drug given weekly or monthly in some strengths (`schedules.csv`).

    On a daily regimen more than `max_daily_on_daily_regimen` a day is an error at
    `level_daily`; a single dose of `intermittent_from_dose` or more is an intermittent
    (weekly/monthly) strength, so an order of it without a frequency is asked to be confirmed.
    """

    target: str
    route: str
    max_daily_on_daily_regimen: float
    intermittent_from_dose: float
    level_daily: str
    reason: str
    management: str
    source: str
    # Round 15: at most this many mg in a week on an intermittent (weekly or monthly) order
    # (ibandronate 150 mg is monthly: ordered weekly it is four times the dose); None: no cap
    max_weekly: float | None = None


@dataclass(frozen=True)
class CourseLimit:
    """How long, or how much in total, one course of a drug may be (`course_limits.csv`): a
    course longer than `max_duration_days`, or whose total is above `max_course_mg`, is a dose
    alert at `level`."""

    target: str
    route: str
    max_duration_days: float | None
    max_course_mg: float | None
    level: str
    reason: str
    management: str
    source: str
    # Round 11: a regimen of at most this many mg a day is long-term maintenance or prophylaxis
    # (colchicine 0.5-1.2 mg/day while urate-lowering therapy starts, in FMF or pericarditis),
    # to which the per-course total of an acute course does not apply; None: every regimen.
    # Round 13: nor the duration limit of a loading phase (bedaquiline, amiodarone, azoles).
    maintenance_daily_mg: float | None = None


@dataclass(frozen=True)
class ReleaseForm:
    """A modified-release product (`release_forms.csv`, round 5): when the written name holds
    `marker` (a brand such as 拜新同/OxyContin, or a release word such as 控释/缓释/XL written
    with the drug) and the drug matches `target`, more than `max_times_per_day` doses a day is a
    dose alert at `level` (the release profile is defeated and the daily dose stacks)."""

    marker: str
    target: str
    max_times_per_day: int
    level: str
    reason: str
    management: str
    source: str

    def written_in(self, name: str) -> bool:
        """Whether an order's name holds the marker: Chinese markers anywhere, Latin ones as
        whole words of the name key ("Adalat XL 30 mg", "oxycodone ER")."""
        key = name_key(name)
        marker = name_key(self.marker)
        if not marker:
            return False
        if marker.isascii():
            return re.search(rf"(?<![a-z0-9]){re.escape(marker)}(?![a-z0-9])", key) is not None
        return marker in key.replace(" ", "")


@dataclass(frozen=True)
class Measure:
    """A renal function value (mL/min or mL/min/1.73m2) and how it was obtained."""

    value: float
    basis: str


@dataclass
class ConditionFacts:
    """What one written condition says about renal/hepatic function and potassium."""

    egfr: float | None = None  # a written eGFR value
    crcl: float | None = None  # a written CrCl value
    creatinine_umol_l: float | None = None
    egfr_estimate: float | None = None  # from a CKD stage or a severity word (band floor)
    renal: bool = False  # mentions renal impairment at all
    hepatic: str | None = None  # mild | moderate | severe, when the text says
    hepatic_mentioned: bool = False
    potassium_mmol_l: float | None = None
    pregnant: bool = False  # round 5: "妊娠10周", "孕12周", "pregnancy 22 weeks", "早孕"
    pregnancy_weeks: float | None = None
    breastfeeding: bool = False  # round 5: "哺乳期", "breastfeeding"
    # round 11: transaminases as a multiple of the upper limit of normal ("ALT 3倍正常上限")
    transaminase_uln: float | None = None

    @property
    def any(self) -> bool:
        """Whether anything was read."""
        return (
            self.pregnant
            or self.breastfeeding
            or any(
                value is not None
                for value in (
                    self.egfr,
                    self.crcl,
                    self.creatinine_umol_l,
                    self.egfr_estimate,
                    self.hepatic,
                    self.potassium_mmol_l,
                    self.transaminase_uln,
                )
            )
            or (self.renal or self.hepatic_mentioned)
        )


_NUM = r"(\d+(?:\.\d+)?)"
_EGFR = re.compile(
    r"(?:\begfr|\bgfr|肾小球滤过率|估算肾小球滤过率)\s*(?:[:=]|is|of|为|约)?\s*(?:<|≤)?\s*" + _NUM
)
_CRCL = re.compile(
    r"(?:\bcrcl|\bccr|\bclcr|creatinine clearance|肌酐清除率|内生肌酐清除率)"
    r"\s*(?:[:=]|is|of|为|约)?\s*(?:<|≤)?\s*" + _NUM
)
_CREATININE = re.compile(
    r"(?:serum creatinine|\bscr|\bcreatinine|血肌酐|血清肌酐|肌酐)(?!\s*清除)"
    r"\s*(?:[:=]|is|of|为)?\s*" + _NUM + r"\s*(mg/dl|umol/l|µmol/l|μmol/l)?"
)
_POTASSIUM = re.compile(
    # round 6: "K 5.9 mmol/L", "血K 5.8" (a bare K only right before its value)
    r"(?:serum potassium|potassium|\bk\+|血钾|血清钾|血k|\bk(?=\s*[:=]?\s*\d))"
    r"\s*(?:[:=]|is|of|为)?\s*" + _NUM
)
# Round 11: ALT/AST as a multiple of the upper limit of normal ("ALT 3倍正常上限", "ALT > 3x
# ULN", "转氨酶升高3倍"); an absolute value in U/L needs the laboratory's range and is not read.
_TRANSAMINASE_ULN = re.compile(
    r"(?:\balt\b|\bast\b|\bsgpt\b|\bsgot\b|转氨酶|谷丙|谷草|肝酶|transaminases?|aminotransferases?)"
    r"[^0-9;,]{0,12}?" + _NUM + r"\s*(?:倍|×|x\b|times\b)"
)
# ALT/AST at or above 3x ULN is the labels' "active liver disease or unexplained persistent
# transaminase elevation" (statins EU SmPC 4.3; leflunomide: do not start above 2x ULN, FDA
# label) and the DILI threshold (EASL 2019): read as hepatic impairment without a severity.
TRANSAMINASE_ULN_HEPATIC = 3.0
_CKD_STAGE = re.compile(
    r"(?:\bckd|chronic kidney disease|慢性肾脏?病|慢性肾功能不全)\s*(?:stage|g|分期)?\s*"
    r"([1-5])\s*([ab])?\s*期?"
)
_CHILD_PUGH = re.compile(r"child(?:[- ]?pugh)?\s*(?:class|分级|评分)?\s*([abc])\b(?:\s*级)?")
_CHILD_PUGH_ZH = re.compile(r"child(?:[- ]?pugh)?\s*(?:class|分级)?\s*([abc])\s*级")
# CKD stage -> the floor of its eGFR band (the worst case within the stage is what a dosing
# rule must assume). Stage 5 / dialysis: 10 (<15).
_STAGE_FLOOR = {"1": 90.0, "2": 60.0, "3": 30.0, "3a": 45.0, "3b": 30.0, "4": 15.0, "5": 10.0}
_RENAL_WORDS = (
    "肾",
    "透析",
    "尿毒症",
    "肌酐",
    "renal",
    "kidney",
    "ckd",
    "gfr",
    "crcl",
    "creatinine",
    "dialysis",
    "esrd",
    "血透",
    "腹透",
)
_HEPATIC_WORDS = ("肝", "hepat", "liver", "cirrho", "child-pugh", "child pugh")
# Round 6: 血透/腹透 (short for haemo-/peritoneal dialysis), 肾功能衰竭 and "renal/kidney failure".
_END_STAGE = (
    "透析",
    "dialysis",
    "esrd",
    "end-stage",
    "end stage",
    "终末期",
    "尿毒症",
    "肾衰竭",
    "肾功能衰竭",
    "血透",
    "腹透",
    "renal failure",
    "kidney failure",
)
_SEVERE = ("severe", "重度", "严重", "重症")
_MODERATE = ("moderate", "中度", "中等")
_MILD = ("mild", "轻度", "轻微")
_SEVERITY_FLOOR = {"severe": 15.0, "moderate": 30.0, "mild": 60.0}
_DECOMPENSATED = (
    "decompensated",
    "失代偿",
    "liver failure",
    "hepatic failure",
    "肝衰竭",
    "肝功能衰竭",
)
# Words that negate a condition written just before it (the contained-term fallback only):
# Chinese within 3 characters ("无哮喘", "否认心衰"), English within 15 ("no history of asthma").
_NEGATIONS_ZH = ("无", "否认", "排除")
_NEGATIONS_EN = ("no ", "not ", "without ", "denies ", "negative for ")


# Conditions that are episodes: "消化道出血史" / "history of GI bleeding" is a risk factor, not an
# active bleed, so the contained-term fallback does not read it as the condition.
_EPISODES = frozenset(
    {
        "gi_bleeding",
        "hyperkalemia",
        "urinary_retention",
        "intestinal_obstruction",
        # round 5: a past episode is not the active condition ("肺结核病史" is latent at most)
        "hypokalemia",
        "tuberculosis",
    }
)


def _past(text: str, start: int, end: int) -> bool:
    return text[end : end + 2].startswith(("史", "病史")) or any(
        w in text[max(0, start - 15) : start] for w in ("history of", "past ", "previous ", "既往")
    )


# Round 11: an event-like condition written as a risk or the aim of prevention ("消化道出血高危",
# "卒中风险", "预防应激性溃疡", "high risk of GI bleeding", "VTE prophylaxis") is a reason for
# caution, or for the gastroprotection already prescribed, not the condition itself: a high
# bleeding risk on dual antiplatelet therapy after a stent is what a PPI is for, not an active
# bleed. Chronic diagnoses are left alone: "高血压 2级 高危" and "急性冠脉综合征 高危" grade a
# disease the patient has. Secondary prevention ("脑梗死二级预防") follows an event, so it is one.
_RISK_EVENTS = _EPISODES | {
    "cerebrovascular_disease",
    "venous_thromboembolism",
    "long_qt",
    "peptic_ulcer",
    "bleeding_disorder",
    "pseudomembranous_colitis",
}
_RISK_AFTER = ("高危", "高风险", "风险", "危险", "预防", " risk", " prophylaxis", " prevention")
_RISK_BEFORE_ZH = ("预防", "防止", "防治")
_RISK_BEFORE_EN = ("risk of ", "at risk for ", "prevention of ", "prophylaxis of ")
_SECONDARY = ("二级预防", "secondary prevention", "secondary prophylaxis")


def _at_risk(text: str, start: int, end: int, condition: str) -> bool:
    """Whether an event-like condition found at text[start:end] is written as a risk. The risk
    word may start inside the term's last character: "卒中风险" holds the term 中风 (stroke)
    followed by 险, so 风险 is looked for from the term's last character on."""
    if condition not in _RISK_EVENTS or any(w in text for w in _SECONDARY):
        return False
    return (
        any(text.startswith(_RISK_AFTER, i) for i in (end - 1, end))
        or any(w in text[max(0, start - 4) : start] for w in _RISK_BEFORE_ZH)
        or any(w in text[max(0, start - 20) : start] for w in _RISK_BEFORE_EN)
    )


def _negated(text: str, start: int) -> bool:
    return any(w in text[max(0, start - 3) : start] for w in _NEGATIONS_ZH) or any(
        w in text[max(0, start - 15) : start] for w in _NEGATIONS_EN
    )


_SEVERITY_PREFIXES = (*_SEVERE, *_MODERATE, *_MILD, "稳定期", "active ")


# Round 5: pregnancy and breastfeeding written among the conditions. Weeks: "妊娠10周", "孕12+3周",
# "宫内孕8周", "pregnancy 22 weeks", "22 weeks pregnant", "gestational age 30 weeks".
_PREGNANCY_WEEKS = re.compile(
    r"(?:妊娠|孕)\s*(\d{1,2})(?:\s*\+\s*\d)?\s*周"
    r"|pregnan(?:t|cy)\D{0,12}?(\d{1,2})\s*(?:\+\s*\d\s*)?(?:weeks?|wks?)\b"
    r"|(\d{1,2})\s*(?:\+\s*\d\s*)?(?:weeks?|wks?)\s*(?:pregnan|gestation|of gestation)"
    r"|gestation(?:al age)?\D{0,3}(\d{1,2})\s*(?:weeks?|wks?)\b"
)
_PREGNANCY_WORDS = (
    "妊娠",
    "孕期",
    "怀孕",
    "早孕",
    "中孕",
    "晚孕",
    "宫内孕",
    "孕妇",
    "孕早期",
    "孕中期",
    "孕晚期",
    "子痫前期",
    "先兆子痫",
    "pregnant",
    "pregnancy",
    "trimester",
    "gestation",
    "preeclampsia",
    "pre-eclampsia",
)
# An entry with one of these, or ending in 史 ("妊娠期糖尿病史"), is not a current pregnancy
# (history, postpartum, after surgery or termination, not pregnant, planning, a negative test).
_NOT_PREGNANT = (
    "未孕",
    "非孕",
    "非妊娠",
    "否认妊娠",
    "无妊娠",
    "未怀孕",
    "排除妊娠",
    "备孕",
    "妊娠史",
    "孕史",
    "产后",
    "流产后",
    "引产后",
    "术后",
    "终止妊娠",
    "人工流产",
    "人流",
    "药物流产",
    "药流",
    "既往",
    "阴性",
    "not pregnant",
    "non-pregnant",
    "nonpregnant",
    "postpartum",
    "post-partum",
    "planning",
    "history of",
    "negative",
    "no pregnancy",
)
_BREASTFEEDING_WORDS = (
    "哺乳",
    "母乳喂养",
    "breastfeeding",
    "breast-feeding",
    "breast feeding",
    "lactating",
    "lactation",
    "nursing mother",
)
_NOT_BREASTFEEDING = (
    "非哺乳",
    "未哺乳",
    "不哺乳",
    "停止哺乳",
    "已断奶",
    "人工喂养",
    "not breastfeeding",
    "not breast-feeding",
    "no breastfeeding",
    "stopped breastfeeding",
)


def _read_pregnancy(text: str, facts: ConditionFacts) -> None:
    """Set `pregnant`, `pregnancy_weeks` and `breastfeeding` from one normalised condition."""
    weeks_match = _PREGNANCY_WEEKS.search(text)
    past = text.endswith("史") or any(word in text for word in _NOT_PREGNANT)
    if (weeks_match or any(word in text for word in _PREGNANCY_WORDS)) and not past:
        facts.pregnant = True
        if match := weeks_match:
            weeks = float(next(g for g in match.groups() if g))
            facts.pregnancy_weeks = weeks if weeks <= 44 else None
    if any(word in text for word in _BREASTFEEDING_WORDS) and not any(
        word in text for word in _NOT_BREASTFEEDING
    ):
        facts.breastfeeding = True


# Round 5: a drug allergy written among the conditions ("青霉素过敏性休克史", "对磺胺过敏",
# "penicillin allergy (rash)", "allergic to sulfa"); the allergen is what is left.
_CONDITION_ALLERGY = (
    re.compile(r"^对?(?P<a>.+?)(?:药物)?(?:过敏性休克|过敏反应|过敏)(?:史|病史)?$"),
    re.compile(r"^(?:history of )?(?P<a>.+?) (?:allergy|anaphylaxis|hypersensitivity)$"),
    re.compile(r"^(?:history of )?(?:allergic|allergy|anaphylaxis|hypersensitivity) to (?P<a>.+)$"),
    # round 7: a positive skin test, as Chinese wards record penicillin and cephalosporin
    # allergy ("青霉素皮试阳性", "头孢皮试(+)", "penicillin skin test positive")
    re.compile(r"^对?(?P<a>.+?)(?:药物)?皮试\s*(?:阳性|\+)$"),
    re.compile(r"^(?P<a>.+?) skin test (?:positive|阳性|\+)$"),
)


def allergen_in_condition(written: str) -> str | None:
    """The allergen of a drug allergy written as a condition, else None ("过敏性鼻炎", a disease
    named after allergy, is not one: the allergy word must end the entry or lead it)."""
    # "(+)" is a positive result ("青霉素皮试(+)"), not a bracketed aside to drop
    text = normalise_text(written).replace("(+)", "阳性")
    text = _BRACKETS_TEXT.sub(" ", text).strip()
    for pattern in _CONDITION_ALLERGY:
        if match := pattern.match(text):
            allergen = match.group("a").strip()
            return allergen or None
    return None


_BRACKETS_TEXT = re.compile(r"\([^)]*\)")


# Round 7: an HLA allele as laboratories and doctors write it ("HLA-B*58:01", "HLA-B*5801",
# "HLA B 1502") -> one token ("hla-b5801"), so the allele's digits survive name_key (a "*5801"
# would otherwise read as a pack size) and "阳性"/"positive" after it can be a condition term.
_HLA_ALLELE = re.compile(r"hla\s*-?\s*([abc])\s*\*?\s*(\d{2})\s*:?\s*(\d{2})")


def normalise_text(text: str) -> str:
    """NFKC, lower case, Chinese punctuation as ASCII, HLA alleles as one token, single
    spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    for zh, en in (("，", ","), ("；", ";"), ("：", ":"), ("＜", "<"), ("、", ",")):
        text = text.replace(zh, en)
    text = _HLA_ALLELE.sub(r"hla-\1\2\3", text)
    return " ".join(text.split())


def _severity_word(text: str) -> str | None:
    for words, severity in ((_SEVERE, "severe"), (_MODERATE, "moderate"), (_MILD, "mild")):
        if any(word in text for word in words):
            return severity
    return None


def parse_condition(text: str) -> ConditionFacts:
    """Read renal/hepatic function and potassium from one written condition.

    - eGFR and CrCl values ("eGFR 25", "CrCl 28 ml/min", "肌酐清除率 25"), serum creatinine
      ("血肌酐 180", "creatinine 2.1 mg/dL": mg/dL is converted, 1 mg/dL = 88.4 µmol/L; a value
      below 20 without a unit is taken as mg/dL) and potassium ("serum potassium 5.4 mmol/L").
    - A CKD stage ("慢性肾病4期", "CKD stage 3b", "CKD G4") gives the floor of its eGFR band
      (4 -> 15); dialysis/ESRD/尿毒症 -> 10; "severe/moderate/mild renal impairment" (重度/中度/
      轻度肾功能不全) -> 15/30/60. The floor is the worst case a dosing rule must assume.
    - Child-Pugh A/B/C -> mild/moderate/severe hepatic impairment; decompensated cirrhosis and
      liver failure -> severe; "severe/moderate/mild" with a liver word -> that severity.
      Unqualified cirrhosis or "肝功能不全" gives no severity (the condition table still applies).
    """
    text = normalise_text(text)
    facts = ConditionFacts()
    if match := _EGFR.search(text):
        facts.egfr = float(match.group(1))
    if match := _CRCL.search(text):
        facts.crcl = float(match.group(1))
    if match := _CREATININE.search(text):
        value, unit = float(match.group(1)), match.group(2)
        facts.creatinine_umol_l = (
            value * 88.4 if unit == "mg/dl" or (not unit and value < 20) else value
        )
    if match := _POTASSIUM.search(text):
        facts.potassium_mmol_l = float(match.group(1))
    if match := _TRANSAMINASE_ULN.search(text):
        facts.transaminase_uln = float(match.group(1))
    _read_pregnancy(text, facts)
    renal = any(word in text for word in _RENAL_WORDS)
    hepatic = any(word in text for word in _HEPATIC_WORDS)
    facts.renal = renal or facts.creatinine_umol_l is not None
    facts.hepatic_mentioned = hepatic
    if match := _CKD_STAGE.search(text):
        stage = match.group(1) + (match.group(2) or "")
        facts.egfr_estimate = _STAGE_FLOOR.get(stage, _STAGE_FLOOR[match.group(1)])
    elif renal and any(word in text for word in _END_STAGE):
        facts.egfr_estimate = _STAGE_FLOOR["5"]
    elif renal and not hepatic and (severity := _severity_word(text)):
        facts.egfr_estimate = _SEVERITY_FLOOR[severity]
    if match := (_CHILD_PUGH_ZH.search(text) or _CHILD_PUGH.search(text)):
        facts.hepatic = {"a": "mild", "b": "moderate", "c": "severe"}[match.group(1)]
        facts.hepatic_mentioned = True
    elif hepatic and any(word in text for word in _DECOMPENSATED):
        facts.hepatic = "severe"
    elif hepatic and not renal and (severity := _severity_word(text)):
        facts.hepatic = severity
    return facts


def cockcroft_gault(
    age: float, weight_kg: float, creatinine_umol_l: float, sex: str | None
) -> float:
    """Creatinine clearance (mL/min): (140 - age) x kg x 1.23 (men) or 1.04 (women) / µmol/L.

    An unknown sex uses the women's factor, the lower (more cautious) estimate.
    """
    factor = 1.23 if sex == "M" else 1.04
    return max(0.0, (140.0 - age) * weight_kg * factor / creatinine_umol_l)


@dataclass
class PatientContext:
    """What the checker knows about one patient beyond the raw request fields.

    Attributes:
        conditions: (as written, condition id) for every matched condition, including the ids
            implied by a value (renal_impairment when eGFR/CrCl < 60, hepatic_impairment for a
            mild+ hepatic severity, hyperkalemia when potassium > 5.0 mmol/L).
        unmatched: conditions that matched nothing (reported in `unresolved`).
        egfr, crcl: renal function with its basis, None when unknown.
        hepatic: (severity, basis) for mild/moderate/severe hepatic impairment, else None.
    """

    conditions: list[tuple[str, str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    egfr: Measure | None = None
    crcl: Measure | None = None
    hepatic: tuple[str, str] | None = None
    # round 5: pregnancy / breastfeeding written among the conditions (the entry as written)
    pregnancy: str | None = None
    pregnancy_weeks: float | None = None
    breastfeeding: str | None = None

    def renal_value(self, measure: str) -> Measure | None:
        """The measure a rule is written on, or the other one as a surrogate.

        Drug labels use CrCl (Cockcroft-Gault) or eGFR; when only one is known it stands for
        the other, as is usual in practice, and the basis says so.
        """
        own, other = (self.crcl, self.egfr) if measure == "crcl" else (self.egfr, self.crcl)
        if own is not None:
            return own
        if other is not None:
            name = "eGFR" if measure == "crcl" else "CrCl"
            return Measure(other.value, f"{other.basis}; {name} used in place of {measure}")
        return None


@dataclass
class _WrittenValues:
    """Values read from a patient's written conditions, each with the text it came from."""

    egfr: list[tuple[float, str]] = field(default_factory=list)
    egfr_estimates: list[tuple[float, str]] = field(default_factory=list)
    crcl: list[tuple[float, str]] = field(default_factory=list)
    creatinine: list[tuple[float, str]] = field(default_factory=list)
    hepatic: list[tuple[str, str]] = field(default_factory=list)
    potassium: list[tuple[float, str]] = field(default_factory=list)

    def add(self, facts: ConditionFacts, written: str) -> None:
        """Keep what one condition says."""
        if facts.egfr is not None:
            self.egfr.append((facts.egfr, written))
        if facts.egfr_estimate is not None:
            self.egfr_estimates.append((facts.egfr_estimate, written))
        if facts.crcl is not None:
            self.crcl.append((facts.crcl, written))
        if facts.creatinine_umol_l is not None:
            self.creatinine.append((facts.creatinine_umol_l, written))
        if facts.hepatic is not None:
            self.hepatic.append((facts.hepatic, written))
        if facts.potassium_mmol_l is not None:
            self.potassium.append((facts.potassium_mmol_l, written))


def _egfr(patient: Patient, written: _WrittenValues) -> Measure | None:
    """eGFR field, else the lowest written eGFR, else the lowest CKD stage/severity floor."""
    if patient.egfr_ml_min_1_73m2 is not None:
        return Measure(patient.egfr_ml_min_1_73m2, "eGFR (patient record)")
    if written.egfr:
        value, text = min(written.egfr)
        return Measure(value, f"eGFR {value:g} written in '{text}'")
    if written.egfr_estimates:
        value, text = min(written.egfr_estimates)
        return Measure(value, f"eGFR taken as {value:g} (the lowest value of '{text}')")
    return None


def _crcl(patient: Patient, written: _WrittenValues) -> Measure | None:
    """CrCl field, else the lowest written CrCl, else Cockcroft-Gault from creatinine (field,
    else the highest written) when age and weight are known."""
    if patient.crcl_ml_min is not None:
        return Measure(patient.crcl_ml_min, "CrCl (patient record)")
    if written.crcl:
        value, text = min(written.crcl)
        return Measure(value, f"CrCl {value:g} mL/min written in '{text}'")
    scr = patient.creatinine_umol_l
    where = "patient record"
    if scr is None and written.creatinine:
        scr, where = max(written.creatinine)[0], f"written in '{max(written.creatinine)[1]}'"
    if scr is None or patient.age is None or patient.weight_kg is None:
        return None
    value = cockcroft_gault(patient.age, patient.weight_kg, scr, patient.sex)
    sex = {"M": "male", "F": "female"}.get(patient.sex or "", "sex unknown: female factor")
    return Measure(
        round(value, 1),
        f"CrCl {value:.0f} mL/min by Cockcroft-Gault (creatinine {scr:g} µmol/L "
        f"[{where}], {patient.age:g} y, {patient.weight_kg:g} kg, "
        f"{sex})",
    )


def _hepatic(patient: Patient, written: _WrittenValues) -> tuple[str, str] | None:
    """(severity, basis): the hepatic field ("none" -> None), else the worst written one."""
    if patient.hepatic_impairment is not None:
        if patient.hepatic_impairment != "none":
            return (patient.hepatic_impairment, "hepatic impairment (patient record)")
        return None
    if written.hepatic:
        severity, text = max(written.hepatic, key=lambda h: HEPATIC_SEVERITIES.index(h[0]))
        return (severity, f"{severity} hepatic impairment from '{text}'")
    return None


def _dose_limit(r: dict[str, str]) -> DoseLimit:
    """A doses.csv row."""
    return DoseLimit(
        target=r["target"],
        route=r["route"] or "any",
        population=r["population"],
        max_single=_number(r["max_single"]),
        max_daily=_number(r["max_daily"]),
        max_single_per_kg=_number(r["max_single_per_kg"]),
        max_daily_per_kg=_number(r["max_daily_per_kg"]),
        unit=r["unit"] or "mg",
        min_age_years=_number(r["min_age_years"]),
        max_age_years=_number(r["max_age_years"]),
        source=r["source"],
        note=r.get("note", ""),
        per_kg_grade=r.get("per_kg_grade") or "major",
        frequency=r.get("frequency") or "",
        condition=r.get("condition") or "",
    )


def _age_rule(r: dict[str, str]) -> Rule:
    """An age_restrictions.csv row."""
    return Rule(
        r["target"],
        r["level"],
        r["reason"],
        r["management"],
        r["source"],
        min_age_years=_number(r["min_age_years"]),
        max_age_years=_number(r["max_age_years"]),
    )


def _condition_rule(r: dict[str, str]) -> Rule:
    """A condition_contraindications.csv row. Round 10: `under_age_years` limits a row to
    children (codeine and tramadol after a tonsillectomy under 18: the FDA contraindication is
    for children, not adults); older tables lack the column."""
    return Rule(
        r["target"],
        r["level"],
        r["reason"],
        r["management"],
        r["source"],
        r["condition"],
        max_age_years=_number(r.get("under_age_years") or ""),
    )


def _renal_rule(r: dict[str, str]) -> OrganRule:
    """A renal.csv row: its eGFR/CrCl band [min, max) and caps."""
    return _organ_rule(
        r,
        measure=r["measure"],
        low=_number(r["min"]) or 0.0,
        high=_number(r["max"]),
        max_daily_per_kg=_number(r["max_daily_per_kg"]),
        max_times_per_day=_number(r["max_times_per_day"]),
        route=r.get("route") or "any",
        gross_excess_level=r.get("gross_excess_level") or "major",
    )


def _schedule_rule(r: dict[str, str]) -> ScheduleRule:
    """A schedules.csv row."""
    return ScheduleRule(
        target=r["target"],
        route=r["route"] or "any",
        max_daily_on_daily_regimen=float(r["max_daily_on_daily_regimen"]),
        intermittent_from_dose=float(r["intermittent_from_dose"]),
        level_daily=r["level_daily"],
        reason=r["reason"],
        management=r["management"],
        source=r["source"],
        max_weekly=float(r["max_weekly"]) if r.get("max_weekly") else None,
    )


def _course_limit(r: dict[str, str]) -> CourseLimit:
    """A course_limits.csv row."""
    return CourseLimit(
        target=r["target"],
        route=r["route"] or "any",
        max_duration_days=_number(r["max_duration_days"]),
        max_course_mg=_number(r["max_course_mg"]),
        level=r["level"],
        reason=r["reason"],
        management=r["management"],
        source=r["source"],
        maintenance_daily_mg=_number(r.get("maintenance_daily_mg") or ""),
    )


class DoseContextRow(BaseModel):
    """Round 11: one row of dose_contexts.csv: an order of `target` (a canonical name or an
    `atc:` prefix) at or below `max_daily_mg` a day is in the dose context `when`, which a pair
    override can be conditional on (low-dose prednisone with hydroxychloroquine). Round 17: and
    at or above `min_daily_mg` (0 when the column is empty or absent): dolutegravir 100 mg a day
    is the doubled dose given with rifampicin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = Field(min_length=2)
    when: str
    max_daily_mg: float = Field(gt=0)
    min_daily_mg: float = Field(default=0.0, ge=0)
    rationale: str = Field(min_length=20)
    source: str

    @field_validator("when")
    @classmethod
    def _when(cls, value: str) -> str:
        if value not in DOSE_CONTEXTS:
            raise ValueError(f"when must be one of {DOSE_CONTEXTS}")
        return value

    @field_validator("source")
    @classmethod
    def _source(cls, value: str) -> str:
        if not value.startswith("curated"):
            raise ValueError("source must start with 'curated'")
        return value


def _dose_contexts(rows: list[dict[str, str]]) -> list[DoseContextRow]:
    """dose_contexts.csv rows, each validated (ValueError names the line and the field)."""
    parsed = []
    for line, row in enumerate(rows, start=2):
        try:
            # an empty min_daily_mg is no lower bound (the field's default)
            given = {k: v for k, v in row.items() if not (k == "min_daily_mg" and not v)}
            parsed.append(DoseContextRow(**given))  # type: ignore[arg-type]
        except ValidationError as error:
            raise ValueError(f"dose_contexts.csv line {line}: {error}") from error
    return parsed


@dataclass(frozen=True)
class Strength:
    """Round 9: the ratio of a two-ingredient product (combination_strengths.csv) when its
    written name matches `marker` (a regular expression on the name, NFKC, lower case, spaces
    removed; None: any name of the pair, for products sold at one ratio only)."""

    target_a: str
    target_b: str
    marker: re.Pattern[str] | None
    parts_a: float
    parts_b: float


def _strength(row: dict[str, str]) -> Strength:
    parts_a, parts_b = float(row["parts_a"]), float(row["parts_b"])
    if parts_a <= 0 or parts_b <= 0:
        raise ValueError(f"combination strength {row['target_a']}+{row['target_b']}: bad parts")
    marker = row["marker"].strip()
    return Strength(
        row["target_a"], row["target_b"], re.compile(marker) if marker else None, parts_a, parts_b
    )


def _release_form(row: dict[str, str]) -> ReleaseForm:
    return ReleaseForm(
        marker=row["marker"],
        target=row["target"],
        max_times_per_day=int(row["max_times_per_day"]),
        level=row["level"],
        reason=row["reason"],
        management=row["management"],
        source=row["source"],
    )


class ClinicalRules:
    """Curated rule lookups by canonical drug.

    Args:
        tables: table file name (e.g. "doses.csv") -> rows.
        atc: canonical drug -> its ATC codes.
    """

    def __init__(
        self, tables: dict[str, list[dict[str, str]]], atc: dict[str, tuple[str, ...]]
    ) -> None:
        self.tables = tables
        self.atc = atc
        self.doses = [_dose_limit(r) for r in tables["doses.csv"]]
        self.pregnancy = [
            Rule(r["target"], r["level"], r["reason"], r["management"], r["source"], r["trimester"])
            for r in tables["pregnancy.csv"]
        ]
        self.lactation = [
            Rule(r["target"], r["level"], r["reason"], r["management"], r["source"])
            for r in tables["lactation.csv"]
        ]
        self.age = [_age_rule(r) for r in tables["age_restrictions.csv"]]
        self.condition_rules = [
            _condition_rule(r) for r in tables["condition_contraindications.csv"]
        ]
        self.condition_terms = {
            name_key(r["term"]): r["condition"] for r in tables["conditions.csv"]
        }
        self.condition_ids = {r["condition"] for r in tables["conditions.csv"]}
        # Terms as they appear inside longer text ("慢性心力衰竭 射血分数降低", "history of
        # asthma"), longest first, compiled once: the fallback when no clause is a term by itself.
        # Chinese terms of two or more characters match anywhere, English terms of four or more
        # as whole words; shorter ones are too ambiguous inside free text.
        self.contained_terms = [
            (re.compile(rf"\b{re.escape(term)}\b" if term.isascii() else re.escape(term)), id_)
            for term, id_ in sorted(
                {(normalise_text(r["term"]), r["condition"]) for r in tables["conditions.csv"]}
                | {(normalise_text(c.replace("_", " ")), c) for c in self.condition_ids},
                key=lambda t: (-len(t[0]), t),  # ties by text: a set's order varies by process
            )
            if len(term) >= 2 and not (term.isascii() and len(term) < 4)
        ]
        self.allergy_terms = {name_key(r["term"]): r["group"] for r in tables["allergy_terms.csv"]}
        self.group_members: dict[str, list[str]] = {}
        for r in tables["allergy_groups.csv"]:
            self.group_members.setdefault(r["group"], []).append(r["target"])
        self.cross = [
            Rule(r["target_group"], r["level"], r["reason"], "", r["source"], r["allergy_group"])
            for r in tables["cross_reactivity.csv"]
        ]
        self.allowlist = [(r["target_a"], r["target_b"]) for r in tables["duplicate_allowlist.csv"]]
        # Classes that span ATC level-4 groups (a coxib and a propionic NSAID, a benzodiazepine
        # and a Z-drug): duplicate therapy although no level-4 code is shared.
        self.duplicate_classes = [
            (r["class"], r["target"]) for r in tables.get("duplicate_classes.csv", [])
        ]
        self.renal = [_renal_rule(r) for r in tables.get("renal.csv", [])]
        self.hepatic = [
            _organ_rule(r, min_severity=r["min_severity"]) for r in tables.get("hepatic.csv", [])
        ]
        self.schedules = [_schedule_rule(r) for r in tables.get("schedules.csv", [])]
        self.course_limits = [_course_limit(r) for r in tables.get("course_limits.csv", [])]
        self.release_forms = [_release_form(r) for r in tables.get("release_forms.csv", [])]
        self.strengths = [_strength(r) for r in tables.get("combination_strengths.csv", [])]
        self.dose_contexts = _dose_contexts(tables.get("dose_contexts.csv", []))
        self._check_enumerations()

    def _check_enumerations(self) -> None:
        """Raise ValueError on a renal/hepatic/schedule row with an unknown level or kind."""
        levels = ("contraindicated", "major", "moderate")
        for rule in [*self.renal, *self.hepatic]:
            if rule.level not in levels or rule.kind not in ("contraindication", "dose"):
                raise ValueError(f"bad level/kind in organ rule for {rule.target}: {rule}")
        for rule in self.renal:
            if rule.measure not in ("egfr", "crcl"):
                raise ValueError(f"renal rule for {rule.target}: unknown measure {rule.measure!r}")
            if rule.gross_excess_level not in levels:
                raise ValueError(
                    f"renal rule for {rule.target}: bad gross_excess_level "
                    f"{rule.gross_excess_level!r}"
                )
        for rule in self.hepatic:
            if rule.min_severity not in HEPATIC_SEVERITIES[1:]:
                raise ValueError(f"hepatic rule for {rule.target}: bad {rule.min_severity!r}")
        for schedule in self.schedules:
            if schedule.level_daily not in levels:
                raise ValueError(
                    f"schedule rule for {schedule.target}: bad {schedule.level_daily!r}"
                )
        for form in self.release_forms:
            if form.level not in levels or form.max_times_per_day < 1:
                raise ValueError(f"release form {form.marker} ({form.target}): bad level/times")
        for limit in self.course_limits:
            if limit.level not in levels or (
                limit.max_duration_days is None and limit.max_course_mg is None
            ):
                raise ValueError(f"course limit for {limit.target}: bad level or no limit")
        for dose in self.doses:
            if dose.frequency not in DOSE_FREQUENCIES:
                raise ValueError(f"dose row for {dose.target}: bad frequency {dose.frequency!r}")
            unknown = set(dose.condition.split("|")) - self.condition_ids if dose.condition else ()
            if unknown:
                raise ValueError(f"dose row for {dose.target}: unknown condition {unknown}")

    @classmethod
    def from_folder(
        cls, folder: Path, atc: dict[str, tuple[str, ...]], prefix: str = BUNDLE_PREFIX
    ) -> ClinicalRules:
        """Load every curated table (`<prefix><name>.csv`) from a folder."""
        return cls(read_tables(folder, prefix), atc)

    def matches(self, target: str, drug: str) -> bool:
        """Whether a table target (canonical name or `atc:` prefix) covers a drug."""
        if target.startswith("atc:"):
            prefix = target[4:].upper()
            return any(code.startswith(prefix) for code in self.atc.get(drug, ()))
        return target == drug

    @lru_cache(maxsize=4096)  # noqa: B019 - one instance per loaded bundle, lives as long as it
    def _rules_for(self, kind: str, drug: str) -> tuple[Any, ...]:
        """The rows of one table (by kind) whose target covers a drug."""
        tables: dict[str, list[Any]] = {
            "pregnancy": self.pregnancy,
            "lactation": self.lactation,
            "age": self.age,
            "condition": self.condition_rules,
            "renal": self.renal,
            "hepatic": self.hepatic,
        }
        return tuple(rule for rule in tables[kind] if self.matches(rule.target, drug))

    def pregnancy_rules(self, drug: str) -> tuple[Rule, ...]:
        """Pregnancy rules that cover a drug."""
        return self._rules_for("pregnancy", drug)

    def lactation_rules(self, drug: str) -> tuple[Rule, ...]:
        """Lactation rules that cover a drug."""
        return self._rules_for("lactation", drug)

    def age_rules(self, drug: str, age: float) -> Iterator[Rule]:
        """Age restrictions a patient of this age breaks."""
        for rule in self._rules_for("age", drug):
            too_young = rule.min_age_years is not None and age < rule.min_age_years
            too_old = rule.max_age_years is not None and age > rule.max_age_years
            if too_young or too_old:
                yield rule

    def condition_of(self, written: str) -> str | None:
        """A written condition ("哮喘", "asthma") -> condition id, or None if unknown."""
        key = name_key(written)
        if key in self.condition_ids:
            return key
        return self.condition_terms.get(key)

    def conditions_in(self, written: str) -> list[str]:
        """Condition ids in one written entry: the whole text, else each clause.

        Clauses are split on commas, semicolons and "、"; a leading severity or qualifier word
        (严重/重度/中度/轻度, severe/moderate/mild, active) is dropped before the clause is looked
        up ("严重肝功能不全" -> 肝功能不全, "severe renal impairment" -> renal impairment).
        """
        whole = self._condition_or_stripped(written)
        if whole:
            return [whole]
        found: list[str] = []
        text = normalise_text(written)
        for clause in re.split(r"[,;]", text):
            condition = self._condition_or_stripped(clause)
            if condition and condition not in found:
                found.append(condition)
        return found or self._contained(text)

    def _contained(self, text: str) -> list[str]:
        """Condition ids whose term occurs inside the text (Chinese terms of two or more
        characters anywhere, English terms as whole words), unless negated just before
        ("无哮喘", "否认心衰", "no asthma") or written as a risk to prevent ("消化道出血高危",
        `_at_risk`); longer terms first, each span used once."""
        found: list[str] = []
        taken: list[tuple[int, int]] = []
        for pattern, condition in self.contained_terms:
            for match in pattern.finditer(text):
                span = match.span()
                if any(span[0] < end and start < span[1] for start, end in taken):
                    continue
                if _negated(text, span[0]) or (condition in _EPISODES and _past(text, *span)):
                    continue
                taken.append(span)  # a risk's span too: no shorter term inside it is read
                if _at_risk(text, *span, condition):
                    continue
                if f"{condition}_history" in self.condition_ids and _past(text, *span):
                    # round 15: "胃溃疡史" is a past ulcer (a risk factor), not an active one
                    condition = f"{condition}_history"
                if condition not in found:
                    found.append(condition)
        return found

    def _condition_or_stripped(self, text: str) -> str | None:
        text = normalise_text(text)
        if not text:
            return None
        condition = self.condition_of(text)
        stripped = text
        while condition is None:
            prefix = next((p for p in _SEVERITY_PREFIXES if stripped.startswith(p)), None)
            if prefix is None:
                break
            stripped = stripped[len(prefix) :].strip()
            condition = self.condition_of(stripped) if stripped else None
        return condition

    def patient_context(self, patient: Patient) -> PatientContext:
        """Conditions, renal function and hepatic impairment of one patient.

        Precedence (the first known wins): eGFR field, an eGFR written in a condition, the floor
        of a written CKD stage or severity; CrCl field, a CrCl written in a condition,
        Cockcroft-Gault from creatinine (field, else written) with age and weight; hepatic
        field, then Child-Pugh/severity words in the conditions (the worst one written).
        """
        context = PatientContext()
        written_values = _WrittenValues()
        for written in patient.conditions:
            ids = self.conditions_in(written)
            facts = parse_condition(written)
            if self._transaminases_hepatic(facts) and "hepatic_impairment" not in ids:
                ids.append("hepatic_impairment")
            written_values.add(facts, written)
            if not ids and not facts.any:
                context.unmatched.append(written)
            context.conditions += [(written, condition) for condition in ids]
            if facts.pregnant and context.pregnancy is None:
                context.pregnancy = written
            if facts.pregnancy_weeks is not None and context.pregnancy_weeks is None:
                context.pregnancy_weeks = facts.pregnancy_weeks
            if facts.breastfeeding and context.breastfeeding is None:
                context.breastfeeding = written
        context.egfr = _egfr(patient, written_values)
        context.crcl = _crcl(patient, written_values)
        context.hepatic = _hepatic(patient, written_values)
        self._add_implied_conditions(context, written_values.potassium)
        return context

    def _transaminases_hepatic(self, facts: ConditionFacts) -> bool:
        """Round 11: whether a written ALT/AST multiple reaches TRANSAMINASE_ULN_HEPATIC (read as
        hepatic impairment, when the condition table has it)."""
        return (
            facts.transaminase_uln is not None
            and facts.transaminase_uln >= TRANSAMINASE_ULN_HEPATIC
            and "hepatic_impairment" in self.condition_ids
        )

    def _add_implied_conditions(
        self, context: PatientContext, potassium: list[tuple[float, str]]
    ) -> None:
        """Condition ids a value implies (renal_impairment for eGFR/CrCl < 60, hepatic_impairment
        for a hepatic severity, hyperkalemia for potassium > 5.0 mmol/L), when not written and
        the condition table has them."""
        have = {condition for _, condition in context.conditions}
        renal = [m for m in (context.egfr, context.crcl) if m is not None and m.value < 60]
        if renal and "renal_impairment" not in have and "renal_impairment" in self.condition_ids:
            worst = min(renal, key=lambda m: m.value)
            context.conditions.append((worst.basis, "renal_impairment"))
        if (
            context.hepatic is not None
            and "hepatic_impairment" not in have
            and "hepatic_impairment" in self.condition_ids
        ):
            context.conditions.append((context.hepatic[1], "hepatic_impairment"))
        high_k = [(k, w) for k, w in potassium if k > 5.0]
        if high_k and "hyperkalemia" not in have and "hyperkalemia" in self.condition_ids:
            value, written = max(high_k)
            context.conditions.append((f"potassium {value:g} mmol/L ('{written}')", "hyperkalemia"))

    def has_renal_rules(self, drug: str) -> bool:
        """Whether the renal table grades this drug by eGFR/CrCl."""
        return bool(self._rules_for("renal", drug))

    def has_hepatic_rules(self, drug: str) -> bool:
        """Whether the hepatic table grades this drug by severity."""
        return bool(self._rules_for("hepatic", drug))

    def renal_rules(self, drug: str, context: PatientContext) -> list[tuple[OrganRule, Measure]]:
        """Renal rules whose band holds the patient's eGFR/CrCl, with the value used."""
        found = []
        for rule in self._rules_for("renal", drug):
            measure = context.renal_value(rule.measure)
            if measure is None:
                continue
            if rule.low <= measure.value and (rule.high is None or measure.value < rule.high):
                found.append((rule, measure))
        return found

    def hepatic_rules(self, drug: str, severity: str) -> list[OrganRule]:
        """Hepatic rules that apply at this severity (mild < moderate < severe)."""
        rank = HEPATIC_SEVERITIES.index(severity)
        return [
            rule
            for rule in self._rules_for("hepatic", drug)
            if HEPATIC_SEVERITIES.index(rule.min_severity) <= rank
        ]

    @lru_cache(maxsize=4096)  # noqa: B019
    def schedule_rules(self, drug: str, route: str) -> tuple[ScheduleRule, ...]:
        """Weekly/monthly-strength rules for a drug and route."""
        return tuple(
            rule
            for rule in self.schedules
            if rule.route in ("any", route) and self.matches(rule.target, drug)
        )

    @lru_cache(maxsize=4096)  # noqa: B019
    def course_limits_for(self, drug: str, route: str) -> tuple[CourseLimit, ...]:
        """Course duration and total limits for a drug and route."""
        return tuple(
            limit
            for limit in self.course_limits
            if limit.route in ("any", route) and self.matches(limit.target, drug)
        )

    @lru_cache(maxsize=4096)  # noqa: B019
    def _release_rows_for(self, drug: str) -> tuple[ReleaseForm, ...]:
        # every order of every check asks: scanning all rows each time was a fifth of a cold check
        return tuple(row for row in self.release_forms if self.matches(row.target, drug))

    def release_form_of(self, drug: str, name: str) -> ReleaseForm | None:
        """The modified-release row an order's written name and drug match (the strictest, i.e.
        the fewest doses a day, when several do), else None."""
        found = [row for row in self._release_rows_for(drug) if row.written_in(name)]
        return min(found, key=lambda row: row.max_times_per_day) if found else None

    def condition_rules_for(
        self, condition: str, drug: str, age: float | None = None
    ) -> Iterator[Rule]:
        """Rules contraindicating a drug in a condition. A row with an age limit (`under_age_years`,
        held as max_age_years) applies only to a patient known to be younger: the FDA's
        tonsillectomy contraindication of codeine and tramadol is for children, not adults."""
        return (
            r
            for r in self._rules_for("condition", drug)
            if r.detail == condition
            and (r.max_age_years is None or (age is not None and age < r.max_age_years))
        )

    def allergy_group_of(self, written: str) -> str | None:
        """A written allergy class ("青霉素", "sulfa") -> allergy group id, or None.

        Allergy lists add words around the class: "磺胺类药物过敏", "头孢菌素类过敏 (头孢呋辛皮疹)",
        "penicillin allergy (rash)", "磺胺类抗菌药". The keys `name_variants` yields (as written,
        then without brackets and without the allergy words) are tried in turn, each also without
        a trailing generic word for "drug"/"antibiotic", so the class is found before the
        example in brackets: an allergy to a class covers more drugs than its one example.
        """
        for key in allergy_keys(written):
            group = self.allergy_terms.get(key)
            if group:
                return group
        return None

    @lru_cache(maxsize=4096)  # noqa: B019
    def groups_of(self, drug: str) -> tuple[str, ...]:
        """Allergy groups a drug belongs to."""
        return tuple(
            g
            for g, targets in self.group_members.items()
            if any(self.matches(t, drug) for t in targets)
        )

    def cross_reactions(self, allergy_group: str, drug: str) -> Iterator[Rule]:
        """Cross-reactivity rules from an allergy group to groups the drug belongs to."""
        groups = set(self.groups_of(drug))
        return (r for r in self.cross if r.detail == allergy_group and r.target in groups)

    @lru_cache(maxsize=4096)  # noqa: B019
    def dose_context(self, drug: str, daily_mg: float) -> str:
        """Round 11: the dose context (dose_contexts.csv `when`) an order of `daily_mg` a day of
        `drug` is in, "" when none."""
        for row in self.dose_contexts:
            if (
                self.matches(row.target, drug)
                and row.min_daily_mg - 1e-9 <= daily_mg <= row.max_daily_mg + 1e-9
            ):
                return row.when
        return ""

    @lru_cache(maxsize=4096)  # noqa: B019
    def _doses_for(self, drug: str) -> tuple[DoseLimit, ...]:
        return tuple(limit for limit in self.doses if self.matches(limit.target, drug))

    def dose_limits(
        self,
        drug: str,
        route: str,
        age: float | None,
        intermittent: bool = False,
        conditions: frozenset[str] = frozenset(),
    ) -> list[DoseLimit]:
        """Dose rows for a drug, route and age; adult rows when the age is unknown. For an order
        given weekly or less often (`intermittent`), the drug's "weekly" rows replace its other
        rows when it has any (round 11); otherwise "weekly" rows are left out. A row naming
        conditions holds only for a patient with one of them (`conditions`, round 14)."""
        limits = []
        for limit in self._doses_for(drug):
            if limit.route not in ("any", route):
                continue
            if limit.condition and conditions.isdisjoint(limit.condition.split("|")):
                continue
            if age is None:
                if limit.population != "adult":
                    continue
            elif (limit.min_age_years is not None and age < limit.min_age_years) or (
                limit.max_age_years is not None and age > limit.max_age_years
            ):
                continue
            limits.append(limit)
        weekly = [limit for limit in limits if limit.frequency == "weekly"]
        if intermittent and weekly:
            return weekly
        return [limit for limit in limits if limit.frequency != "weekly"]

    def next_age_band(
        self, drug: str, route: str, age: float, limit: DoseLimit
    ) -> DoseLimit | None:
        """Round 11: the row of the age band after `limit`'s (same drug, route and frequency)
        that starts within a year of `age`, or also holds at `age` (a shared boundary year),
        else None. Labels band children's doses by whole years (montelukast 4 mg at 2-5, 5 mg
        at 6-14): the next band's dose given in the year before it is a boundary call."""
        if limit.min_age_years is None:
            return None
        for row in self._doses_for(drug):
            if (
                row.route in ("any", route)
                and row.frequency == limit.frequency
                and row.min_age_years is not None
                and row.min_age_years > limit.min_age_years
                and age >= row.min_age_years - 1
                and (row.max_age_years is None or age <= row.max_age_years)
            ):
                return row
        return None

    @lru_cache(maxsize=4096)  # noqa: B019
    def ingredient_share(
        self, drug: str, ingredients: tuple[str, ...], written: str
    ) -> float | None:
        """Round 9: the part of a two-ingredient product's written dose that is `drug`
        (combination_strengths.csv: "阿莫西林克拉维酸钾片(7:1) 1g" is 7/8 amoxicillin), so the
        renal and dose rows of each ingredient see its own amount; None when the product's ratio
        is not known from its name (the dose is then not split, as before)."""
        if len(ingredients) != 2 or drug not in ingredients:
            return None
        text = unicodedata.normalize("NFKC", written).lower().replace(" ", "")
        for row in self.strengths:
            if {row.target_a, row.target_b} != set(ingredients):
                continue
            if row.marker is None or row.marker.search(text):
                share = row.parts_a if drug == row.target_a else row.parts_b
                return share / (row.parts_a + row.parts_b)
        return None

    @lru_cache(maxsize=16384)  # noqa: B019
    @lru_cache(maxsize=4096)  # noqa: B019
    def duplicate_classes_of(self, drug: str) -> frozenset[str]:
        """The curated duplicate-therapy classes (duplicate_classes.csv) a drug belongs to."""
        return frozenset(c for c, target in self.duplicate_classes if self.matches(target, drug))

    def duplicate_allowed(self, a: str, b: str) -> bool:
        """Whether two drugs are an intended combination on the allow-list."""
        return any(
            (self.matches(x, a) and self.matches(y, b))
            or (self.matches(x, b) and self.matches(y, a))
            for x, y in self.allowlist
        )
