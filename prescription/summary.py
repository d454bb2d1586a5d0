"""A pharmacist's one-screen view of a check output file.

    python -m prescription.summary OUT.jsonl

One block per prescription: each alert as `!` (interruptive) or `-` (passive), severity, type,
drugs and source, then its message and management in Chinese (中) and English (EN); then the
unresolved names. Error lines are shown as errors.

Source text in French (ANSM's wording, in an alert that has no Chinese or English text of its own)
is never shown as the alert's text: the Chinese and English lines are built from the alert's type,
grade and drugs, and the French follows, labelled as the source's original text.
"""

from __future__ import annotations

import sys
from typing import Any

from prescription.messages import alert_messages, looks_french
from runtime.batch import summary_main

FRENCH_LABEL = "来源原文 (ANSM, français)"


def _text(alert: dict[str, Any], field: str) -> str:
    value = alert.get(field)
    return value.strip() if isinstance(value, str) else ""


def _alert_text(alert: dict[str, Any]) -> list[str]:
    """The 0-3 lines under an alert's header: 中, EN and, where the alert's only text is French,
    that text behind its source label."""
    zh_msg, zh_mgmt = _text(alert, "message_zh"), _text(alert, "management_zh")
    en_msg, en_mgmt = _text(alert, "message_en"), _text(alert, "management_en")
    # An alert without message_en (older output) has its text in message/management.
    if not en_msg and not en_mgmt:
        en_msg, en_mgmt = _text(alert, "message"), _text(alert, "management")
    # The message and management of one alert come from one source: French if either reads so.
    french = [t for t in (en_msg, en_mgmt) if t] if looks_french(f"{en_msg} {en_mgmt}") else []
    if french:
        en_msg = en_mgmt = ""
    if not (zh_msg or zh_mgmt or en_msg or en_mgmt or french):
        return []
    if not (zh_msg or zh_mgmt) or not (en_msg or en_mgmt):
        built = alert_messages(
            str(alert["type"]), str(alert["severity"]), list(alert["drugs"]), french
        )
        if not (zh_msg or zh_mgmt):
            zh_msg, zh_mgmt = built.message_zh, built.management_zh
        if not (en_msg or en_mgmt):
            en_msg, en_mgmt = built.message_en, built.management_en
    lines = [
        "    中: " + "".join(t for t in (zh_msg, zh_mgmt) if t),
        "    EN: " + " ".join(t for t in (en_msg, en_mgmt) if t),
    ]
    if french:
        lines.append(f"    {FRENCH_LABEL}: " + " - ".join(french))
    return lines


def summarise(answer: dict[str, Any]) -> list[str]:
    """Lines describing one output line of `python -m prescription check`."""
    if "error" in answer:
        return [f"{answer.get('id')}: ERROR {answer['error']}"]
    lines = [
        f"{answer['id']}: {len(answer['alerts'])} alert(s), {len(answer['pairs'])} pair(s) checked"
        f" [{answer['model']['name']} {answer['model']['version']}]"
    ]
    for alert in answer["alerts"]:
        mark = "!" if alert["interruptive"] else "-"
        drugs = " + ".join(alert["drugs"])
        lines.append(
            f"  {mark} {alert['severity']:<15} {alert['type']:<17} {drugs} ({alert['source']})"
        )
        lines.extend(_alert_text(alert))
    if answer["unresolved"]:
        lines.append(f"  unresolved: {', '.join(answer['unresolved'])}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the summary of each line of the file named on the command line."""
    return summary_main(argv, "prescription.summary", __doc__ or "", summarise)


if __name__ == "__main__":
    sys.exit(main())
