"""The seed theme taxonomy and the safeguarding principles recommendations are tagged with."""

from __future__ import annotations

# The recurring themes of national analyses (triennial analyses of SCRs/CSPRs, SAR analyses, DHR
# reviews). A partnership starts with these and manages its own list from then on.
SEED_THEMES: list[tuple[str, str]] = [
    ("neglect", "Neglect"),
    ("information_sharing", "Information sharing"),
    ("professional_curiosity", "Professional curiosity"),
    ("voice_of_the_child", "Voice of the child or adult"),
    ("fathers_and_significant_males", "Fathers and significant males"),
    ("domestic_abuse", "Domestic abuse"),
    ("parental_mental_health", "Parental mental health"),
    ("substance_misuse", "Substance misuse"),
    ("exploitation", "Exploitation (criminal and sexual)"),
    ("escalation_and_challenge", "Escalation and professional challenge"),
    ("risk_assessment", "Risk assessment and management"),
    ("multi_agency_working", "Multi-agency working and coordination"),
    ("think_family", "Think family"),
    ("disguised_compliance", "Disguised compliance"),
    ("self_neglect", "Self-neglect"),
    ("mental_capacity", "Mental capacity"),
    ("transitions", "Transitions to adulthood"),
    ("safe_sleep", "Safe sleep"),
    ("child_sexual_abuse", "Child sexual abuse in the family"),
    ("supervision", "Supervision and management oversight"),
    ("recording", "Recording and case records"),
    ("trauma_informed_practice", "Trauma-informed practice"),
]

# Care Act statutory guidance's six safeguarding principles (DOMAIN.md §1), plus the review principles
# Working Together names; a recommendation may carry any of them.
PRINCIPLES: dict[str, str] = {
    "empowerment": "Empowerment",
    "prevention": "Prevention",
    "proportionality": "Proportionality",
    "protection": "Protection",
    "partnership": "Partnership",
    "accountability": "Accountability",
    "child_centred": "Child or adult at the centre",
    "practitioner_involvement": "Practitioners involved",
    "family_involvement": "Family involved",
    "transparency": "Transparency",
    "sustainability": "Sustainability",
}
