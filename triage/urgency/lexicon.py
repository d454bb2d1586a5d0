"""The urgency knowledge as data ("triage.urgency.v2"): a lexicon of clinical concepts and the rules
written over them, validated by pydantic when loaded (a bad entry names itself in the error).

A **concept** (``chest_pain``, ``haematemesis``, ``fever_high``) is found in a complaint by literal
surface forms ("胸口疼", "chest pain"), proximity patterns (吐 ... 血 within a few characters, not
across a comma), or a parsed value (temperature >= 39). Each mention then gets its context:
negated, historical, hypothetical, about a family member, idiomatic ("痒的想死"), and chronic
(a long duration with no sign of a new or worse onset).

A **rule** fires when every one of its concept groups has an affirmed mention (in context: not
negated, not historical, ...), optionally gated by age, sex, and a maximum symptom duration. It
sets a triage level, Infermedica's five: ``emergency_ambulance``, ``emergency``,
``consultation_24``, ``consultation``, ``self_care``. Every rule states its rationale.

Terms are stored in the normaliser's form (``triage.text``: lower case, simplified, half-width);
validation refuses a term that normalisation would change, so a rule can never silently miss.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from triage.text import MISSING_FIELD, normalise

Level = Literal["emergency_ambulance", "emergency", "consultation_24", "consultation", "self_care"]
# Most urgent last, so max() over levels by index picks the most urgent.
LEVEL_ORDER: tuple[Level, ...] = (
    "self_care",
    "consultation",
    "consultation_24",
    "emergency",
    "emergency_ambulance",
)
EMERGENCY_LEVELS: frozenset[str] = frozenset({"emergency", "emergency_ambulance"})
DEFAULT_LEVEL: Level = "consultation"
ValueName = Literal[
    "age_months",
    "pregnancy_weeks",
    "temperature_c",
    "systolic_bp",
    "heart_rate",
    "glucose_mmol",
    "volume_ml",
    "tablet_count",
    "sodium_mmol",
    "potassium_mmol",
]
_ID = re.compile(r"[a-z][a-z0-9_]*")


def _normalised(keep_spaces: bool) -> Callable[[str], str]:
    """A term must be what the normaliser makes of it, or it could never match."""

    def check(term: str) -> str:
        if not term or not term.strip():
            raise ValueError("empty term")
        core = term.strip() if keep_spaces else term
        normal = normalise(core)
        if normal != core and not (normal == "" and core in MISSING_FIELD):
            raise ValueError(f"term {term!r} is not in normalised form (expected {normal!r})")
        return term

    return check


def _snake_case(kind: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(f"{kind} id {value!r} must be snake_case")
        return value

    return check


# A surface form, exclusion or marker, exactly as the normaliser writes it.
Term = Annotated[str, AfterValidator(_normalised(keep_spaces=False))]
# A context cue or proximity part: normalised, but its edge spaces ("no ") are word boundaries.
CueTerm = Annotated[str, AfterValidator(_normalised(keep_spaces=True))]
ConceptId = Annotated[str, AfterValidator(_snake_case("concept"))]
RuleId = Annotated[str, AfterValidator(_snake_case("rule"))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Near(_Strict):
    """A proximity pattern: each part in order, at most ``max_gap`` characters apart, within
    one clause ("吐" then "血" = haematemesis; "can't" then "breathe").

    Attributes:
        parts: two or more alternatives lists, matched in order.
        max_gap: the most characters allowed between consecutive parts.
    """

    parts: list[Annotated[list[CueTerm], Field(min_length=1)]] = Field(min_length=2)
    max_gap: int = Field(default=4, ge=0, le=20)


class ValueTest(_Strict):
    """A concept present when a parsed value lies in [min, max] (either bound optional)."""

    name: ValueName
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> ValueTest:
        if self.min is None and self.max is None:
            raise ValueError(f"value test on {self.name!r} needs min or max")
        return self


class Concept(_Strict):
    """One clinical concept (a symptom, sign, finding, exposure or state).

    Attributes:
        id: stable snake_case id.
        label_zh: Chinese label shown to doctors.
        label_en: English label.
        forms: literal surface forms (Chinese written and colloquial, English).
        near: proximity patterns.
        value: a parsed value that also counts as a mention.
        exclude: phrases inside which a mention does not count ("眼皮抽搐" for seizure).
        idiom_before: strings that, ending right where a mention starts, make it a figure of
            speech ("痒的" + "想死").
        rationale: why these forms mean this concept (optional for plain symptoms).
        stop_scope: where the concept, named in a rule's ``none_of``, stops it: anywhere in the
            complaint; "before_now": not where it precedes the rule's mentions in another clause
            with a present-time word between ("住院恢复中，现在嘴唇发紫"); "clause": not in a
            later clause of its own in the same sentence ("胸口疼出冷汗，上个月心梗住过院": a
            dated past episode beside a current one).
        kind: "finding" (a symptom or sign: a long duration makes it chronic) or "state"
            (diabetes, pregnancy, an age: never chronic).
    """

    id: ConceptId
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    kind: Literal["finding", "state"] = "finding"
    forms: list[Term] = []
    near: list[Near] = []
    value: ValueTest | None = None
    exclude: list[Term] = []
    idiom_before: list[Term] = []
    rationale: str = ""
    stop_scope: Literal["complaint", "before_now", "clause"] = "complaint"

    @model_validator(mode="after")
    def _findable(self) -> Concept:
        if not self.forms and not self.near and self.value is None:
            raise ValueError(f"concept {self.id!r} has no forms, near patterns or value")
        return self


class ContextCues(_Strict):
    """Words that put a mention in a context (negated, historical, ...).

    Attributes:
        before: cues that act on a mention after them, within ``window`` units.
        after: cues that act on a mention right before them, within ``after_window`` units.
        window: units (a character, or an English word) searched before a mention.
        after_window: units searched after a mention.
        scope: a cue acts within the mention's clause (ended by ',;' etc.) or sentence.
        pseudo: phrases that contain a cue but do not act ("不停", "no longer").
        terminators: words between a cue and the mention that end the cue's scope ("但是").
    """

    before: list[CueTerm] = []
    after: list[CueTerm] = []
    window: int = Field(default=6, ge=0, le=40)
    after_window: int = Field(default=3, ge=0, le=20)
    scope: Literal["clause", "sentence"] = "clause"
    pseudo: list[CueTerm] = []
    terminators: list[CueTerm] = []


class Contexts(_Strict):
    """The context vocabulary (after medspaCy's ConText), plus onset markers.

    Attributes:
        negated: "无", "没有", "denies", ...
        historical: "以前", "病史", "years ago", ...
        hypothetical: "如果", "万一", "what if", ...
        family: "家族史", "died of", ...
        in_care: "住院期间", "出院后", "抢救过来", "discharged", ...: the event is being or has
            been handled in hospital (a follow-up question); a terminator ("又", "今天",
            "again") between the cue and the mention makes the mention new again. Absent in
            tables written before round 5 (no cue, no effect).
        animal: cues naming a pet or other animal ("家里的猫", "狗狗", "our dog") as the one who
            has the finding: a mention after one in its sentence, with no person or bite word
            ("我", "my son", "咬") between, is someone else's (reported as ``family``). Unlike a
            family cue it holds with an acute onset ("狗狗突然抽搐"): a pet's sudden fit is still
            not the writer's emergency. Absent in tables written before round 20 (no effect).
        in_care_framing: phrases that say the patient is in care right now ("正在住院", "ICU里",
            "挂点滴", "currently admitted"): every mention in a sentence with no acute marker is
            then in care (the finding is the reason for the stay, asked about for prognosis or
            next steps), while "住院期间突然..." stays new. Absent in tables written before round
            21 (no effect).
        in_care_framing_ends: present-time words ("今天", "现在", "now") that, after an
            ``in_care_framing`` phrase, tell a finding of today rather than the reason for the
            stay ("正在住院，今天胸口剧痛，满头大汗"): the framing then does not apply, as after an
            acute marker. Absent in tables written before round 21.
        acute_markers: words of a new or worse onset ("突然", "加重", "suddenly"): with one in
            the sentence, a long duration does not make a mention chronic, and a historical or
            family cue does not apply.
        framing: phrases that make the whole complaint a hypothetical ("作业题", "exam
            question"): a quiz or homework question describes a case, not the writer.
        framing_yields: present-time words ("现在", "right now"): a mention whose sentence has
            one is not made hypothetical by framing, so a current emergency told beside
            "hypothetically" still fires. Absent in tables written
            before round 17 (framing applies to every mention).
        episode_end: words right after a short duration that say the episode ended ("几分钟就好了",
            "lasted a few minutes then went away"): that duration tells how long a past episode
            lasted, not that something began just now, so it is no acute marker.
        anchors: words that place what follows at a past time without a number of years
            ("两岁的时候", "前年", "when i was"): like an old date ("三年前"), each dates the rest
            of its sentence as history until a new-onset marker or a historical terminator
            ("现在", "这次"). Absent in tables written before round 10 (no effect).
        bystander_subjects: people other than the patient and the household ("朋友", "同事",
            "邻居", "my friend", "colleague"): a mention after one in its sentence, with no
            first-person word between, is that person's event...
        bystander_pivots: ...when the complaint then turns to the writer ("我也", "我自己",
            "I'm 30", "in me"), which a look-alike about someone else's event does ("同事昨天
            晕倒了，说是低血糖。我也经常..."), and no ``bystander_ends`` word ("现在", "刚才",
            "now", "still") stands between the person and the writer's turn: the event is then
            reported as ``family``, even with an acute marker (the other person's onset was
            sudden too). Absent in tables written before round 22 (no effect).
        bystander_ends: present-time words that keep a third party's event current.
        bystander_over: phrases that tell a third party's event is over or handled ("人没事了",
            "救过来了", "she's okay now", "is recovering in hospital", "didn't make it"): one
            after the mention and before the writer's turn dates the event as a past one does
            ("同事昨天晕倒了"), and a present-time word inside one ("now" of "okay now") does not
            keep the event current. Absent in tables written before round 31 (no effect).
        bystander_reactions: other turns from a third party's event to the writer or someone
            else ("I keep replaying it", "我帮他侧身", "我想问", "how do I"): like
            ``bystander_pivots``, but only with the event told as over (``bystander_over``),
            not merely dated, and never by a finding of the writer's own in that clause (a
            shared exposure: "a friend cooked pufferfish for us an hour ago, I can't
            swallow"). Absent in tables before round 31 (no effect).
        clause_delimiters: characters that end a clause.
        sentence_delimiters: characters that end a sentence.
    """

    negated: ContextCues
    historical: ContextCues
    hypothetical: ContextCues
    family: ContextCues
    in_care: ContextCues = ContextCues()
    animal: ContextCues = ContextCues()
    acute_markers: list[Term]
    in_care_framing: list[CueTerm] = []
    in_care_framing_ends: list[Term] = []
    framing: list[CueTerm] = []
    framing_yields: list[Term] = []
    episode_end: list[Term] = []
    anchors: list[CueTerm] = []
    bystander_subjects: list[CueTerm] = []
    bystander_pivots: list[CueTerm] = []
    bystander_ends: list[CueTerm] = []
    bystander_over: list[CueTerm] = []
    bystander_reactions: list[CueTerm] = []
    clause_delimiters: str = Field(min_length=1)
    sentence_delimiters: str = Field(min_length=1)


class Rule(_Strict):
    """A triage rule over concepts.

    Attributes:
        id: stable snake_case id, returned with every reason.
        level: the triage level the rule sets.
        label_zh: what a doctor reads.
        label_en: English label.
        all_of: groups of concept ids; every group needs one affirmed mention.
        none_of: concept ids that, affirmed anywhere, stop the rule (a known benign cause).
        age_min_years: the rule needs a known age at least this...
        age_max_years: ...or at most this; ``age_concepts`` stand in for the age.
        age_concepts: concepts that place the patient in the age range ("宝宝", "infant"),
            even when a stated age is outside it (a parent often gives their own).
        sex: the rule applies to this sex only (unknown sex passes).
        max_duration_days: a mention of a symptom lasting longer than this, with no acute
            marker, does not count (chronic).
        chronic_ok: concepts of this rule that count however long they have lasted: the
            background on which a new red flag appears (chronic back pain under new sphincter
            symptoms in cauda equina); ``max_duration_days`` still applies to the others.
        history_ok: concepts of this rule that count when told as history too (a cancer
            treated years ago under new back pain and weak legs; an operation last month under
            a swollen calf): past tense does not remove a risk factor.
        rationale: the clinical reason; required.
        source: where the rule comes from (guideline, standard, textbook).
    """

    id: RuleId
    level: Level
    label_zh: str = Field(min_length=1)
    label_en: str = Field(min_length=1)
    all_of: list[list[str]] = Field(min_length=1)
    none_of: list[str] = []
    age_min_years: float | None = Field(default=None, ge=0)
    age_max_years: float | None = Field(default=None, ge=0)
    age_concepts: list[str] = []
    sex: Literal["F", "M"] | None = None
    max_duration_days: float | None = Field(default=None, gt=0)
    chronic_ok: list[str] = []
    history_ok: list[str] = []
    rationale: str = Field(min_length=10)
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        # here, not as a per-group length, so the message names the rule by its id
        if any(not group for group in self.all_of):
            raise ValueError(f"rule {self.id!r}: an all_of group is empty")
        if (
            self.age_min_years is not None
            and self.age_max_years is not None
            and self.age_min_years > self.age_max_years
        ):
            raise ValueError(f"rule {self.id!r}: age_min_years > age_max_years")
        if self.age_concepts and self.age_min_years is None and self.age_max_years is None:
            raise ValueError(f"rule {self.id!r}: age_concepts need an age range")
        return self


class DialectEntry(_Strict):
    """A dialect word (written Cantonese: "咗", "冇", "屙") and the Mandarin word the concepts and
    context cues already know ("了", "没有", "拉"). The rules read the complaint with the word
    rewritten; the shared normaliser, and so the department model and the sentence embedding,
    never see the rewrite (the backstop's n-grams read their own table's, ``NgramDialectEntry``,
    when trained so).

    Attributes:
        dialect: the word as the normaliser writes it (simplified: "係" is written "系").
        mandarin: what the rules read instead.
        not_before: the word is left as typed when one of these follows it: where the same
            characters begin a Mandarin word ("食" of "食道", "系" of "系统").
        not_after: ...or when one of these ends right before it ("饮" + "食", "关" + "系").
        rationale: why the word means the Mandarin one, and why its restrictions; required.
    """

    dialect: Term
    mandarin: Term
    not_before: list[Term] = []
    not_after: list[Term] = []
    rationale: str = Field(min_length=10)

    @model_validator(mode="after")
    def _changes(self) -> DialectEntry:
        if self.dialect == self.mandarin:
            raise ValueError(f"dialect entry {self.dialect!r} maps to itself")
        return self


def _refuse_repeated_words(entries: list[DialectEntry] | list[NgramDialectEntry]) -> None:
    """One entry per dialect word, so which Mandarin word is read is never a matter of order."""
    words = [entry.dialect for entry in entries]
    duplicates = {w for w in words if words.count(w) > 1}
    if duplicates:
        raise ValueError(f"duplicate dialect word {sorted(duplicates)[0]!r}")


NGRAM_DIALECT_VERSION = "triage.urgency_dialect_ngrams.v1"


class NgramDialectEntry(DialectEntry):
    """A dialect word the learned backstop's character n-grams read as Mandarin (its own table,
    ``data/dialect_ngrams.json``; the rules' entries are ``UrgencyTable.dialect``).

    A feature rewrite cannot fire a rule, so this table may hold words shared with Mandarin
    ("食", "颈", "透气"): those are rewritten only in a complaint that holds a marker.

    Attributes:
        marker: a written-Cantonese word Mandarin never writes ("咗", "嘅", "冇"): rewritten
            wherever its restrictions allow, and its presence opens the rewrite of the shared
            (non-marker) words of the same complaint.
    """

    marker: bool = False


class NgramDialectTable(_Strict):
    """The backstop's n-gram dialect table (urgency round 44), shipped in a bundle that uses it.

    Attributes:
        version: ``triage.urgency_dialect_ngrams.v1``; a bundle names it, and a version this
            code does not know is refused.
        description: what it is for.
        entries: the words, each with its rationale.
    """

    version: Literal["triage.urgency_dialect_ngrams.v1"]
    description: str = ""
    entries: list[NgramDialectEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_entry_per_word(self) -> NgramDialectTable:
        _refuse_repeated_words(self.entries)
        if not any(entry.marker for entry in self.entries):
            # with no marker no shared word could ever be rewritten
            raise ValueError("the n-gram dialect table needs at least one marker entry")
        return self


class UrgencyTable(_Strict):
    """The whole table: contexts, concepts and rules; what a triage bundle ships as urgency.json.

    Attributes:
        version: the table's version; answers carry it.
        source: where the content comes from.
        contexts: the context vocabulary.
        concepts: the concept lexicon.
        rules: the rules, most urgent first by convention.
        dialect: dialect words the rules read as Mandarin (``DialectEntry``). Absent in tables
            written before round 40: nothing is rewritten, exactly as before.
    """

    version: str = Field(min_length=1)
    source: str = ""
    contexts: Contexts
    concepts: list[Concept] = Field(min_length=1)
    rules: list[Rule] = Field(min_length=1)
    dialect: list[DialectEntry] = []

    @model_validator(mode="after")
    def _references(self) -> UrgencyTable:
        concept_ids = [c.id for c in self.concepts]
        duplicates = {c for c in concept_ids if concept_ids.count(c) > 1}
        if duplicates:
            raise ValueError(f"duplicate concept id {sorted(duplicates)[0]!r}")
        rule_ids = [r.id for r in self.rules]
        duplicates = {r for r in rule_ids if rule_ids.count(r) > 1}
        if duplicates:
            raise ValueError(f"duplicate rule id {sorted(duplicates)[0]!r}")
        known = set(concept_ids)
        for rule in self.rules:
            used = [c for group in rule.all_of for c in group] + rule.none_of + rule.age_concepts
            used += rule.chronic_ok + rule.history_ok
            for concept in used:
                if concept not in known:
                    raise ValueError(f"rule {rule.id!r}: unknown concept {concept!r}")
        _refuse_repeated_words(self.dialect)
        return self
