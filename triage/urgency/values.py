"""Numbers a complaint states, parsed with their spans: durations ("三天", "四五年", "since this
morning"), ages of infants ("两个月大", "6-week-old"), pregnancy weeks ("孕32周"), temperature
("39.5度", "104F", "38.2 rectally"), blood pressure, heart rate, blood glucose and volumes
("咯血200ml").

Works on normalised text (``triage.text``): lower case, half-width digits, simplified characters.
Every value keeps its span so the rule that uses it can point the doctor at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100}
_EN_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "few": 3,
    "a few": 3,
    "couple of": 2,
    "a couple of": 2,
    "several": 4,
    "many": 5,
}

# A Chinese or Arabic amount: "3", "3.5", "十二", "四五" (four or five: the larger is kept),
# "十几" (a dozen or so), "半", "一个半", "好几", "几".
_CN_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两俩三四五六七八九十百几]+|半|好几|几|多)"
_DAYS = {
    "秒": 1 / 86400,
    "分钟": 1 / 1440,
    "分": 1 / 1440,
    "小时": 1 / 24,
    "钟头": 1 / 24,
    "个小时": 1 / 24,
    "个钟头": 1 / 24,
    "天": 1,
    "日": 1,
    "晚": 1,
    "宿": 1,
    "周": 7,
    "个周": 7,
    "星期": 7,
    "个星期": 7,
    "礼拜": 7,
    "个礼拜": 7,
    "月": 30,
    "个月": 30,
    "年": 365,
    "个年头": 365,
    "年头": 365,
}
_EN_DAYS = {
    "second": 1 / 86400,
    "sec": 1 / 86400,
    "minute": 1 / 1440,
    "min": 1 / 1440,
    "hour": 1 / 24,
    "hr": 1 / 24,
    "day": 1,
    "night": 1,
    "week": 7,
    "wk": 7,
    "month": 30,
    "year": 365,
    "yr": 365,
    "h": 1 / 24,
    "d": 1,
}

_ZH_DURATION = re.compile(
    "(?P<num>" + _CN_NUM + r")(?P<ge>个)?(?P<half>半)?(?P<more>多|来)?"
    r"(?P<unit>小时|钟头|分钟|秒|星期|礼拜|周|月|年头|年|天|日|晚)(?P<more2>多|左右)?"
    r"(?P<ago>前|之前|以前)?"
)
_EN_DURATION = re.compile(
    r"(?P<num>\d+(?:\.\d+)?|a couple of|couple of|a few|few|several|many|an|a|one|two|three|"
    r"four|five|six|seven|eight|nine|ten|eleven|twelve)"
    # a digit may run straight on to its unit ("40min", "2hrs")
    r"(?:[ -]|(?<=[0-9]))(?P<unit>seconds?|secs?|minutes?|mins?|hours?|"
    r"hrs?|days?|nights?|weeks?|wks?|months?|years?|yrs?|(?<=[0-9])[hd])"
    # clinical shorthand runs a digit straight on to h or d ("8h前", "5d"); 前 is "ago"
    r"(?P<ago> ago|前|之前|以前)?(?![a-z])"
    # "a 3 year old", "my 4-year-old" are ages, not durations
    r"(?![ -]olds?\b)"
)
# Open-ended long durations: "多年", "好几年", "for years", "since childhood", "从小".
_ZH_LONG = re.compile(
    r"多年|好多年|好几年|十几年|几十年|常年|长年|从小|自幼|年轻时|很多年|近年来|这些年"
)
_EN_LONG = re.compile(
    r"for (?:many )?years|for ages|since (?:i was a )?(?:child|kid|childhood)|"
    r"all my life|for decades|lifelong|chronic"
)

_TEMPERATURE = re.compile(
    r"(?:(?P<cue>体温|发烧|发热|高烧|低烧|烧到|烧了|温度|肛温|腋温|口温|耳温|额温|fever of|fever|"
    r"temperature of|temperature|temp of|temp|thermometer says|thermometer reads|thermometer shows|"
    r"thermometer)[^0-9,.;!?，。；！？]{0,6})?"
    r"(?P<num>\d{2,3}(?:\.\d+)?)\s*"
    r"(?P<unit>度|°c|℃|°|c(?![a-z])|°f|℉|f(?![a-z])|degrees?(?: c| f| celsius| fahrenheit)?"
    # where it was measured stands in for the unit ("38.2 rectally", "37.9 腋温")
    r"|rectal(?:ly)?|orally|oral|axillary|under (?:the|her|his|my) arm|in (?:the|her|his) ear"
    r"|tympanic|肛温|腋温|口温|耳温)?"
)
# Cues that can only mean the body's temperature (not "温度", which may be the room's).
_BODY_CUES = frozenset({"体温", "肛温", "腋温", "口温", "耳温", "额温"})
# A stated count of tablets ("24片", "吃了二十粒", "30 tablets"): counts one dose taken at once.
_TABLETS = re.compile(
    r"(?<![0-9.])(?P<num>\d{1,3}|[一二两三四五六七八九十百几]{1,4})(?:多|来|余)?\s*"
    # a strength between the count and the drug ("20 extra-strength tylenol", "12 500mg pills"),
    # or a count "of the 500mg ones": the tablets are still counted
    r"(?:(?:extra[- ]strength|maximum[- ]strength|strong|\d{2,4}\s?mg)\s+)?"
    r"(?:片|粒|颗|tablets?|pills?|capsules?|caps|paracetamol|acetaminophen|tylenol|panadol|"
    r"ibuprofen|aspirin|co-codamol|sleeping pills|"
    r"of (?:the|my|those|these|his|her) (?:\d{2,4}\s?mg )?(?:ones|tablets|pills|capsules))"
    r"(?![a-z])"
)
# A stated volume ("咯血200ml", "吐了500毫升"): millilitres.
_VOLUME = re.compile(
    r"(?<![0-9.])(?P<num>\d{2,4}|[一二两三四五六七八九十百千半几]{1,5})\s*(?:ml|毫升|cc)(?![a-z])"
)
# Serum electrolytes ("血钠117", "血钾 7.2", "sodium 118", "k+ 6.8"), mmol/L.
_SODIUM = re.compile(
    r"(?:血钠|钠|(?<![a-z])(?:sodium|na\+?))[^0-9,;，；]{0,4}(?P<num>\d{2,3}(?:\.\d+)?)"
)
_POTASSIUM = re.compile(
    r"(?:血钾|钾|(?<![a-z])(?:potassium|k\+?))[^0-9,;，；a-z]{0,4}(?P<num>\d(?:\.\d+)?)(?![0-9])"
)
_PREGNANCY = re.compile(
    # "孕3 2周": a space typed inside the number (full-width digits) does not split it
    r"(?:怀孕|孕|妊娠|pregnant|pregnancy)[^0-9,;，；]{0,4}?"
    r"(?P<num>\d+(?:[ \n]\d+)?|[一二两三四五六七八九十]+)"
    r"(?:\+\d)?\s*(?P<unit>周|个?星期|w(?![a-z])|weeks?|个月|months?)"
    r"|(?P<num2>\d+|[一二两三四五六七八九十]+)(?:\+\d)?\s*(?P<unit2>周|weeks?|个月|months?)"
    r"(?:的)?\s*(?:身孕|孕妇|pregnant|of pregnancy|孕)"
)
_AGE_NUM = r"(?<![0-9一二两三四五六七八九十百个])(?:\d+|[一二两三四五六七八九十半]+)"
# after an English age without "old": "3 days ago", "2 weeks of fever" tell a time, not an age
_NOT_A_TIME = r"s?(?![a-z])(?! ago| later| before| after| since| of)"
_INFANT_AGE = re.compile(
    r"(?P<num>" + _AGE_NUM + r")(?P<ge>个)?(?P<half>半)?(?P<unit>天|周|星期|月)"
    r"(?:大(?!如|像|约|小|概|的肿|的包)|的(?:宝宝|婴儿|孩子|小孩|宝|男婴|女婴|娃|儿子|女儿|新生儿)"
    r"|宝宝|婴儿)"
    r"|(?:出生|生下来|生了|刚出生)(?P<num2>\d+|[一二两三四五六七八九十半]+)(?:个)?(?P<unit2>天|周|星期|月)"
    r"|(?P<num3>\d+)[ -](?P<unit3>day|week|month)s?[ -]old"
    r"|(?:宝宝|婴儿|孩子|小孩|儿子|女儿|娃|宝|新生儿)(?:刚满|才满|刚刚满|已经满|满|才|刚|刚刚|现在)?\s?(?P<num4>\d+|[一二两三四五六七八九十半]+)"
    # "女儿一月一次" is how often, not how old
    r"(?:个)?(?P<unit4>天|周|星期|月)(?!前|之前|以前|[一两几1-9]?次|一回)"
    # "8个月，呕吐腹泻": a bare age opening a field, as parents write it
    r"|(?:^|;)(?P<num5>\d+|[一二两三四五六七八九十]+)(?:个)?(?P<unit5>月|天)(?:大)?(?=[,;.，；。 ])"
    # "baby 10 months choked", "my son (9 months)": an English age told without "old"
    r"|(?:baby|infant|newborn)\)?(?: is| aged|,)? \(?(?P<num6>\d{1,2}) ?"
    r"(?P<unit6>day|week|month)" + _NOT_A_TIME +
    # a son's or daughter's age in weeks or months ("my son 10 months choked"), in days only set
    # off ("my son, 5 days, jaundiced"): "my son 3 days fever" tells how long, not how old
    r"|(?:son|daughter)(?:(?: is| aged|,| \()\s?| )(?P<num7>\d{1,2}) ?"
    r"(?P<unit7>week|month)"
    + _NOT_A_TIME
    + r"|(?:son|daughter)(?: is| aged|,| \()\s?(?P<num8>\d{1,2}) ?"
    r"(?P<unit8>day)" + _NOT_A_TIME
)
# the suffixes of _INFANT_AGE's number and unit groups, one pair per alternative
_INFANT_GROUPS = ("", 2, 3, 4, 5, 6, 7, 8)
_BLOOD_PRESSURE = re.compile(
    # a space typed inside the systolic figure ("ＢＰ ２ ００", full-width digits) does not split it
    r"(?:血压|bp|blood pressure|高压)[^0-9,;，；]{0,6}(?P<sys>\d(?:[ \n]?\d){1,2}(?!\d))"
    r"(?:\s*/\s*(?P<dia>\d{2,3}))?"
    r"|(?P<sys2>\d{2,3})\s*/\s*(?P<dia2>\d{2,3})\s*(?:mmhg|毫米汞柱)"
)
_HEART_RATE = re.compile(
    r"(?:心率|心跳|脉搏|脉率|heart rate|pulse|hr)[^0-9,;，；]{0,6}(?P<num>\d{2,3})"
    r"|(?P<num2>\d{2,3})\s*(?:次/分|次每分|bpm|beats)"
)
# A rate told in words or counted by hand: "心率只有三十多", "一分钟才三十几下", "pulse is around
# 32" (the plain pattern above wants digits within six characters of the cue)
_SPOKEN_HEART_RATE = re.compile(
    r"(?:心率|心跳|脉搏|脉率)(?:一直|[^0-9,;，；一二两三四五六七八九十百]){0,6}?"
    r"(?P<cn>[一二两三四五六七八九十百]{2,4}[几多来]?)(?![一二两三四五六七八九十百个])"
    # a count per minute only after a pulse word, with no breathing or cough counted between
    r"|(?:心率|心跳|脉搏|脉率)(?:(?!呼吸|喘|咳)[^。！？!?.]){0,12}?(?:一分钟|每分钟|1分钟)[^0-9,;，；]{0,4}?"
    r"(?P<count>\d{2,3}|[一二两三四五六七八九十百]{2,4}[几多来]?)(?:下|次)"
    r"|(?:heart rate|pulse|hr)(?:\s+(?:is|was|of|at|around|about|only|just|down|to|reads|reading|"
    r"showing|says|roughly|approximately)){1,4}\s*(?P<en>\d{2,3})(?![\d.])"
)
_GLUCOSE = re.compile(
    r"(?:血糖|blood sugar|sugar level|sugar|glucose|bg)[^0-9,;，；]{0,6}(?P<num>\d{1,3}(?:\.\d+)?)"
    r"\s*(?P<mgdl>mg/dl|mg)?"
)

# Words every match of a pattern holds (its cue or its unit): a complaint holding none of them
# cannot match, so the pattern is not run. Scanning for a few words is far cheaper than running
# a pattern that starts with an optional part or a look-behind over a long complaint, and the
# answer is the same.
_ZH_DURATION_UNITS = frozenset("时头钟秒期拜周月年天日晚")
_PREGNANCY_WORDS = ("孕", "妊娠", "pregnan")
_INFANT_UNITS = frozenset("天周期月")
_TABLET_WORDS = (
    "ones",
    "片",
    "粒",
    "颗",
    "tablet",
    "pill",
    "cap",
    "paracetamol",
    "acetaminophen",
    "tylenol",
    "panadol",
    "ibuprofen",
    "aspirin",
    "co-codamol",
)
_VOLUME_WORDS = ("ml", "毫升", "cc")
_BP_WORDS = ("血压", "bp", "blood pressure", "高压", "mmhg", "毫米汞柱")
_PULSE_WORDS = ("心率", "心跳", "脉搏", "脉率", "heart rate", "pulse", "hr")
_HEART_RATE_WORDS = (*_PULSE_WORDS, "次/分", "次每分", "bpm", "beats")
_GLUCOSE_WORDS = ("血糖", "sugar", "glucose", "bg")
_SODIUM_WORDS = ("钠", "sodium", "na")
_POTASSIUM_WORDS = ("钾", "potassium", "k")
_TWO_DIGITS = re.compile(r"\d\d")


def _holds(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


# An infant age's unit in months.
_MONTHS = {
    "天": 1 / 30,
    "day": 1 / 30,
    "周": 7 / 30,
    "星期": 7 / 30,
    "week": 7 / 30,
    "月": 1,
    "month": 1,
}


@dataclass(frozen=True)
class Value:
    """A number the complaint states.

    Attributes:
        name: what it measures: duration_days, ago_days, age_months, pregnancy_weeks,
            temperature_c, systolic_bp, heart_rate, glucose_mmol.
        value: the amount in the name's unit.
        start: span start in the normalised text.
        end: span end in the normalised text.
    """

    name: str
    value: float
    start: int
    end: int


def chinese_number(text: str) -> float | None:
    """Parse "3", "3.5", "十二", "二十五", "四五" (-> 5), "十几" (-> 15), "半" (0.5), "几" (3).

    Returns:
        The amount, or None when the text is not a number.
    """
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    if text == "半":
        return 0.5
    if text in {"几", "好几", "多"}:
        return 3.0
    if text.endswith("几"):  # "十几" about 15, "二十几" about 25
        base = chinese_number(text[:-1])
        return None if base is None else base + 5
    if all(char in _CN_DIGITS for char in text) and len(text) == 2:
        return float(max(_CN_DIGITS[char] for char in text))  # "四五" -> 5 (the larger)
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[char]
            current = 0
        else:
            return None
    return float(total + current)


def _english_number(text: str) -> float | None:
    if text in _EN_NUMBERS:
        return float(_EN_NUMBERS[text])
    try:
        return float(text)
    except ValueError:
        return None


def parse_values(text: str) -> list[Value]:
    """Every value stated in a normalised complaint, in text order.

    Args:
        text: the normalised complaint.

    Returns:
        The values with their spans.
    """
    # Cheap gates: most complaints state no number, so most patterns need not run at all.
    chars = set(text)
    digits = not chars.isdisjoint("0123456789")
    zh_numbers = digits or not chars.isdisjoint("零〇一二两俩三四五六七八九十百几半多")
    latin = not chars.isdisjoint("abcdefghijklmnopqrstuvwxyz")
    values: list[Value] = []
    if zh_numbers:
        values += _zh_durations(text)
    if latin:
        values += _en_durations(text)
    if latin or zh_numbers or "从" in chars:
        values += _long_durations(text)
    if digits:
        values += _temperatures(text)
        values += _calendar_years(text)
    if digits and latin:
        values += _ages_at_event(text)
    if latin:
        values += _last_years(text)
    if zh_numbers:
        values += _pregnancy_weeks(text)
        values += _infant_ages(text)
    if digits:
        values += _measurements(text)
    if zh_numbers or latin:
        # a rate the digit pattern already read ("heart rate was 45") is not read twice
        read = {v.start for v in values if v.name == "heart_rate"}
        values += [v for v in _spoken_heart_rates(text) if v.start not in read]
    if zh_numbers:
        values += _volumes(text)
    if zh_numbers or latin:
        values += _tablet_counts(text)
    # "两个月大" and "孕32周" are ages, not how long a symptom has lasted.
    spans = [(v.start, v.end) for v in values if v.name in {"age_months", "pregnancy_weeks"}]
    values = [
        v
        for v in values
        if v.name != "duration_days" or not any(s < v.end and v.start < e for s, e in spans)
    ]
    values.sort(key=lambda v: (v.start, v.end))
    return values


def _zh_durations(text: str) -> list[Value]:
    """Chinese durations ("三天", "两个半月", "四五年"); with 前 ("3年前") they are ago_days."""
    values: list[Value] = []
    if _ZH_DURATION_UNITS.isdisjoint(text):
        return values
    for match in _ZH_DURATION.finditer(text):
        amount = chinese_number(match["num"])
        if amount is None or _around(text, match):
            continue
        if match["half"] and match["num"] != "半":  # "两个半月", "一个半小时"
            amount += 0.5
        days = amount * _DAYS[match["unit"]]
        name = "ago_days" if match["ago"] else "duration_days"
        values.append(Value(name, days, match.start(), match.end()))
    return values


# "嘴巴四周", "伤口四周": 四周 right after a thing is "all around it", not four weeks
_AROUND_AFTER = frozenset("嘴巴唇眼睛口脐门鼻耳朵头体部伤围房屋子床桌")


def _around(text: str, match: re.Match[str]) -> bool:
    """Whether a "四周" is the place around the thing named before it ("嘴巴四周发麻")."""
    return (
        match.group() == "四周" and match.start() > 0 and text[match.start() - 1] in _AROUND_AFTER
    )


# A calendar year given as the date of an event ("a mini stroke in 2021", "2019年中风过"); not a
# full date, which may be today ("2026年12月3日"), nor a birth year ("born in 2021", "2021年出生")
_CALENDAR_YEAR = re.compile(
    r"(?:(?<![a-z])in |(?<![0-9]))((?:19|20)[0-9]{2})"
    r"(?:(?<=in [0-9]{4})(?![0-9])|年(?![0-9零一二两三四五六七八九十]{1,3}月|出生|生的|生人))"
)


def _calendar_years(text: str, today: date | None = None) -> list[Value]:
    """Years stated as when something happened, as ago_days (a year before this one or earlier
    is at least months ago: history); this year and later years are left alone."""
    if "19" not in text and "20" not in text:
        # every match's year starts "19" or "20"; the pattern opens on a look-behind, so the
        # search would otherwise try every position of a long complaint
        return []
    this_year = (today or date.today()).year
    values = []
    for match in _CALENDAR_YEAR.finditer(text):
        if text[: match.start()].endswith("born "):
            continue
        years = this_year - int(match[1])
        if years >= 1:
            values.append(Value("ago_days", years * 365.0, match.start(1), match.end()))
    return values


# An age given as when something happened ("a febrile seizure at 14 months", "cardiac arrest at
# 19" with "I'm 27 now"): not a clock time ("at 3 am", "at 19:30"), a pregnancy ("at 19 weeks")
# or a dose; a bare "at 19" counts only when the text gives a larger age now.
_AGE_AT = re.compile(
    r"(?<![a-z])at(?: the)?(?: age(?: of)?)? (?P<num>\d{1,2})"
    r"(?P<unit> months?(?: old)?| years?(?: old)?| ?(?:yo|y/o|mo)(?![a-z]))?"
    r"(?![0-9:.%]|\s*(?:am|pm|a\.m|p\.m|o'?clock|h(?:ou)?rs?|min|weeks?|wks?|days?|kg|lb|mg|ml|"
    r"degrees?|this|tonight|today|yesterday|last|in the|sharp)(?![a-z]))"
)
_AGE_NOW = re.compile(
    r"(?<![a-z])(?:i'm|i am|he's|he is|she's|she is|they're|now)(?: now)? (?P<num>\d{1,2})(?![0-9])"
    r"|(?<![0-9])(?P<num2>\d{1,2}) now(?![a-z])"
)


def _ages_at_event(text: str) -> list[Value]:
    """Ages stated as when something happened, as ago_days (history)."""
    if "at " not in text:
        return []
    now = [int(m["num"] or m["num2"]) for m in _AGE_NOW.finditer(text)]
    values = []
    for match in _AGE_AT.finditer(text):
        age, unit = int(match["num"]), (match["unit"] or "").strip()
        if unit.startswith("mo"):
            values.append(Value("ago_days", 365.0, match.start(), match.end()))
        elif unit or "age" in match.group():
            years = max(now, default=age + 1) - age
            if years >= 1:
                values.append(Value("ago_days", years * 365.0, match.start(), match.end()))
        elif any(n > age for n in now):
            values.append(Value("ago_days", (max(now) - age) * 365.0, match.start(), match.end()))
    return values


# "overdosed last year", "the year before last": an onset dated to an earlier calendar year, told
# without a number, is as old as "a year ago"; "since last year" is a duration, not an onset.
_LAST_YEAR = re.compile(r"(?<![a-z])(?<!since )(?P<when>last year|the year before last)(?![a-z])")


def _last_years(text: str) -> list[Value]:
    """Onsets dated "last year" or "the year before last", as ago_days (history)."""
    if "last" not in text:
        return []
    return [
        Value("ago_days", 730.0 if m["when"].endswith("last") else 365.0, m.start(), m.end())
        for m in _LAST_YEAR.finditer(text)
    ]


def _en_durations(text: str) -> list[Value]:
    """English durations ("3 days", "a couple of weeks", "40min"); with "ago", ago_days."""
    values = []
    for match in _EN_DURATION.finditer(text):
        amount = _english_number(match["num"])
        unit = (
            match["unit"].rstrip("s") if match["unit"] not in {"hrs", "yrs"} else match["unit"][:-1]
        )
        if amount is None or unit not in _EN_DAYS:
            continue
        name = "ago_days" if match["ago"] else "duration_days"
        values.append(Value(name, amount * _EN_DAYS[unit], match.start(), match.end()))
    return values


def _long_durations(text: str) -> list[Value]:
    """Open-ended long durations ("多年", "for years") as ten years."""
    return [
        Value("duration_days", 3650.0, match.start(), match.end())
        for pattern in (_ZH_LONG, _EN_LONG)
        for match in pattern.finditer(text)
    ]


def _temperatures(text: str) -> list[Value]:
    """Body temperatures in °C, from a number with a unit, a measuring site or a fever cue."""
    values: list[Value] = []
    if _TWO_DIGITS.search(text) is None:  # every match holds a number of two or three digits
        return values
    for match in _TEMPERATURE.finditer(text):
        number = float(match["num"])
        unit = match["unit"] or ""
        if not match["cue"] and not unit:
            continue
        if unit and not unit.startswith(("度", "°", "℃", "c", "f", "℉", "deg")):
            unit = "c" if number <= 44 else "f"  # a measuring site, not a unit
        if (
            "f" in unit
            or "℉" in unit
            or (not unit.startswith(("度", "°c", "℃", "c")) and number > 94)
        ):
            number = (number - 32) * 5 / 9
        # below 34 only with a body-temperature word ("体温计量出来33.5度"): moderate hypothermia
        # is real, but "外面33度" is the weather
        low = 28.0 if (match["cue"] or "") in _BODY_CUES else 34.0
        if low <= number <= 44.0 and (match["cue"] or unit):
            values.append(Value("temperature_c", round(number, 1), match.start("num"), match.end()))
    return values


def _pregnancy_weeks(text: str) -> list[Value]:
    """Weeks of pregnancy ("孕32周", "pregnant 8 weeks", "3个月身孕"; a month as 4.3)."""
    values: list[Value] = []
    if not _holds(text, _PREGNANCY_WORDS):
        return values
    for match in _PREGNANCY.finditer(text):
        raw, unit = (
            (match["num"], match["unit"]) if match["num"] else (match["num2"], match["unit2"])
        )
        amount = chinese_number(raw.replace(" ", "").replace("\n", ""))
        if amount is None:
            continue
        weeks = amount * (4.3 if "月" in unit or "month" in unit else 1)
        if 1 <= weeks <= 45:
            values.append(Value("pregnancy_weeks", weeks, match.start(), match.end()))
    return values


def _infant_ages(text: str) -> list[Value]:
    """Ages of children up to three ("两个月大", "6-week-old", "出生20天") in months."""
    values: list[Value] = []
    # every match holds a Chinese unit, or an English one before "old" ("6-week-old")
    if _INFANT_UNITS.isdisjoint(text) and not (
        _holds(text, ("old", "baby", "infant", "newborn", "son", "daughter"))
        and _holds(text, ("day", "week", "month"))
    ):
        return values
    for match in _INFANT_AGE.finditer(text):
        group = next(i for i in _INFANT_GROUPS if match[f"num{i}"])
        raw, unit = match[f"num{group}"], match[f"unit{group}"]
        amount = chinese_number(raw)
        if amount is None:
            continue
        if match["half"] and raw != "半":  # "五个半月大"
            amount += 0.5
        months = amount * _MONTHS[unit]
        if months <= 36:
            values.append(Value("age_months", round(months, 2), match.start(), match.end()))
    return values


def _measurements(text: str) -> list[Value]:
    """Systolic blood pressure, heart rate, blood glucose (mmol/L) and electrolytes, each kept
    only within a plausible range."""
    values: list[Value] = []
    for match in _BLOOD_PRESSURE.finditer(text) if _holds(text, _BP_WORDS) else ():
        systolic = float(re.sub(r"\s", "", match["sys"] or match["sys2"]))
        if 60 <= systolic <= 300:
            values.append(Value("systolic_bp", systolic, match.start(), match.end()))
    for match in _HEART_RATE.finditer(text) if _holds(text, _HEART_RATE_WORDS) else ():
        rate = float(match["num"] or match["num2"])
        # "40多" / "40几" is forty-something, not forty: read it as the middle of the forties
        if match["num"] and text[match.end("num") : match.end("num") + 1] in ("多", "几"):
            rate += 5
        if 20 <= rate <= 300:
            values.append(Value("heart_rate", rate, match.start(), match.end()))
    for match in _GLUCOSE.finditer(text) if _holds(text, _GLUCOSE_WORDS) else ():
        glucose = float(match["num"])
        if match["mgdl"] or glucose > 60:  # mg/dL (US meters): 18 mg/dL = 1 mmol/L
            glucose = round(glucose / 18.0, 1)
        if 0.5 <= glucose <= 60:
            values.append(Value("glucose_mmol", glucose, match.start(), match.end()))
    return values + _electrolytes(text)


def _spoken_heart_rates(text: str) -> list[Value]:
    """Heart rates told in Chinese numerals, counted per minute, or with a few English words
    between the cue and the number; kept within the plausible range."""
    values: list[Value] = []
    if not _holds(text, _PULSE_WORDS):
        return values
    for match in _SPOKEN_HEART_RATE.finditer(text):
        raw = match["cn"] or match["count"] or match["en"]
        # "三十多", "三十来" are about thirty-five and thirty; "三十几" is parsed as ~35 already;
        # "一百二" is spoken for 120
        if len(raw) == 3 and raw[1] == "百" and raw[2] in _CN_DIGITS:
            rate: float | None = float(_CN_DIGITS[raw[0]] * 100 + _CN_DIGITS[raw[2]] * 10)
        elif raw[-1] in "多来":
            base = chinese_number(raw[:-1])
            rate = None if base is None else base + (5 if raw[-1] == "多" else 0)
        else:
            rate = chinese_number(raw)
        if rate is not None and 20 <= rate <= 300:
            values.append(Value("heart_rate", rate, match.start(), match.end()))
    return values


def _volumes(text: str) -> list[Value]:
    """Stated volumes in millilitres ("咯血200ml", "两百毫升")."""
    values: list[Value] = []
    if not _holds(text, _VOLUME_WORDS):
        return values
    for match in _VOLUME.finditer(text):
        volume = chinese_number(match["num"])
        if volume is not None and volume >= 1:
            values.append(Value("volume_ml", volume, match.start(), match.end()))
    return values


def _electrolytes(text: str) -> list[Value]:
    """Serum sodium and potassium (mmol/L), each kept only within a plausible range."""
    values = []
    for pattern, words, name, low, high in (
        (_SODIUM, _SODIUM_WORDS, "sodium_mmol", 90.0, 190.0),
        (_POTASSIUM, _POTASSIUM_WORDS, "potassium_mmol", 1.5, 10.0),
    ):
        for match in pattern.finditer(text) if _holds(text, words) else ():
            amount = float(match["num"])
            if low <= amount <= high:
                values.append(Value(name, amount, match.start(), match.end()))
    return values


def _tablet_counts(text: str) -> list[Value]:
    """How many tablets or capsules a complaint says were taken ("24片", "二十粒", "30 pills")."""
    values: list[Value] = []
    if not _holds(text, _TABLET_WORDS):
        return values
    for match in _TABLETS.finditer(text):
        count = chinese_number(match["num"])
        if count is not None and 1 <= count <= 999:
            values.append(Value("tablet_count", count, match.start(), match.end()))
    return values
