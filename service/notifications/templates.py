"""Every message's wording, in one place; a partnership may override the subject and opening of any kind.

Messages carry only the facts recorded with the notification (case reference, pseudonym, task name, agency,
due date, link): never form data, a case's title or a subject's name. HTML has no remote images or scripts.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from service.notifications.kinds import Kind
from service.notifications.policy import Wording

SUBJECTS: dict[Kind, str] = {
    Kind.TASK_AVAILABLE: "New task for you to pick up: {task_name} ({case_reference})",
    Kind.TASK_ASSIGNED: "Assigned to you: {task_name} ({case_reference})",
    Kind.TASK_DUE_SOON: "Due soon: {task_name} ({case_reference})",
    Kind.TASK_OVERDUE: "Overdue: {task_name} ({case_reference})",
    Kind.ESCALATION: "Escalation: {task_name} ({case_reference})",
    Kind.LEARNING_CASCADE: "Please cascade learning in your agency ({case_reference})",
    Kind.ACTION_RECHECK: "Re-check due: {task_name} ({case_reference})",
    Kind.CHASE: "Reminder ({occasion}): {task_name} ({case_reference})",
    Kind.MEETING: "{method_label}: {task_name} ({case_reference})",
    Kind.DIGEST: "Your daily summary: {count} notifications",
}
INTROS: dict[Kind, str] = {
    Kind.TASK_AVAILABLE: "A task has been created that you can claim.",
    Kind.TASK_ASSIGNED: "This task is now assigned to you.",
    Kind.TASK_DUE_SOON: "This task is due soon.",
    Kind.TASK_OVERDUE: "This task is past its due date.",
    Kind.ESCALATION: "A deadline has been missed and needs escalating.",
    Kind.LEARNING_CASCADE: "Learning from a review is to be cascaded inside your agency; please confirm when done.",
    Kind.ACTION_RECHECK: "An action's sustainability re-check has fallen due.",
    Kind.CHASE: "Your agency's return is still open. Please complete it, or tell the business manager why not.",
    Kind.MEETING: "A meeting for this case: the calendar invitation is attached.",
    Kind.DIGEST: "Here is what happened since your last summary, by case and due date.",
}
FOOTER = "You receive this because of your role in the partnership. Change what you receive in your preferences."
_FIELDS = (("Case", "case_reference"), ("Pseudonym", "pseudonym"), ("Task", "task_name"), ("Agency", "agency"))


@dataclass(frozen=True)
class Rendered:
    """A message ready to send."""

    subject: str
    text: str
    html: str


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, facts: Mapping[str, Any]) -> str:
    return template.format_map(_Missing(facts))


def render(kind: Kind, facts: Mapping[str, Any], wording: Mapping[Kind, Wording]) -> Rendered:
    """The subject, plain text and HTML of one notice (the partnership's wording where it has its own)."""
    own = wording.get(kind)
    subject = _fill((own.subject if own and own.subject else None) or SUBJECTS[kind], facts)
    intro = _fill((own.intro if own and own.intro else None) or INTROS[kind], facts)
    if kind is Kind.DIGEST:
        return _digest(subject, intro, facts.get("items", []))
    rows = [(label, str(facts[key])) for label, key in _FIELDS if facts.get(key)]
    if facts.get("due_date"):
        rows.append(("Due", str(facts["due_date"])))
    for label, key in (("When", "starts_at"), ("Where", "location")):
        if facts.get(key):
            rows.append((label, str(facts[key])))
    text = "\n".join([intro, "", *(f"{label}: {value}" for label, value in rows), "", f"Open: {facts.get('link', '')}"])
    body = "".join(f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    markup = (
        f"<p>{html.escape(intro)}</p><table>{body}</table>"
        f'<p><a href="{html.escape(str(facts.get("link", "")))}">Open in LIF</a></p>'
    )
    return Rendered(subject, f"{text}\n\n{FOOTER}\n", _page(markup))


def _digest(subject: str, intro: str, items: list[dict[str, Any]]) -> Rendered:
    """One line per notice, grouped by case, then by due date (undated last)."""
    ordered = sorted(items, key=lambda i: (i.get("case_reference") or "", i.get("due_date") or "9999", i["title"]))
    lines = [intro]
    markup = [f"<p>{html.escape(intro)}</p>"]
    for reference, in_case in groupby(ordered, key=lambda i: i.get("case_reference") or "General"):
        group = list(in_case)
        pseudonym = group[0].get("pseudonym")
        heading = f"{reference} ({pseudonym})" if pseudonym else str(reference)
        lines += ["", heading]
        markup.append(f"<h3>{html.escape(heading)}</h3>")
        for due, on_date in groupby(group, key=lambda i: i.get("due_date")):
            label = f"Due {due}" if due else "No due date"
            lines.append(f"  {label}")
            entries = list(on_date)
            lines += [f"    - {i['title']}: {i.get('link', '')}" for i in entries]
            links = "".join(
                f'<li><a href="{html.escape(str(i.get("link", "")))}">{html.escape(i["title"])}</a></li>'
                for i in entries
            )
            markup.append(f"<p>{html.escape(label)}</p><ul>{links}</ul>")
    return Rendered(subject, "\n".join(lines) + f"\n\n{FOOTER}\n", _page("".join(markup)))


def _page(markup: str) -> str:
    return f"<!DOCTYPE html><html><body>{markup}<p><small>{html.escape(FOOTER)}</small></p></body></html>"
