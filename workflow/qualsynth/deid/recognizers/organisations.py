"""Layer 4b: organisation name patterns ("... NHS Foundation Trust", "... Council",
"Healthwatch ...", "... Surgery", "... Medical Practice", "... PCN", "... Hospital").

A match runs from the first capitalised word of the name to its keyword. Leading
function words ("So", "The", "and") are trimmed, and a match whose words before the
keyword are all generic ("the County Council", "our local Hospital") is dropped: it
names no particular organisation.
"""

from __future__ import annotations

import regex as re
from presidio_analyzer import Pattern, PatternRecognizer, RecognizerResult

from qualsynth.deid.lexicon import Lexicon, word_set
from qualsynth.deid.recognizers.base import make_result
from qualsynth.deid.reference import normalise_org
from qualsynth.deid.textutil import is_sentence_initial

KEYWORDS = (
    r"NHS\s+Foundation\s+Trust", r"NHS\s+Trust", r"Foundation\s+Trust",
    r"(?:Metropolitan\s+)?(?:Borough|District|County|City)\s+Council", r"Council",
    r"Medical\s+Practice", r"Practice", r"Surgery", r"Health\s+Centre", r"Medical\s+Centre",
    r"Primary\s+Care\s+Network", r"PCN", r"Hospitals?", r"Infirmary", r"Hospice",
    r"Carers(?:'|’)?\s+(?:Trust|Centre|Network)", r"Trust", r"CIC",
    r"Support", r"Advocacy", r"Foundation", r"Charity", r"Society", r"Association",
    r"Project", r"Collective", r"Group", r"Network", r"Alliance", r"Partnership", r"Hub",
    r"Ltd\.?", r"Limited", r"Inc\.?", r"PLC", r"plc", r"LLC", r"LLP", r"Corp\.?",
    r"Corporation", r"Company", r"GmbH", r"Agency", r"Partners", r"Associates",
    r"Technologies", r"Solutions", r"Consulting", r"Consultancy",
)
GENERIC_WORDS = word_set("""
a an the this that these those our their my your his her its each every some any other
same new old local county city borough district parish town community general acute
mental health care university primary royal national regional medical practice nhs
foundation trust council hospital hospitals surgery centre network partnership group
teaching children's childrens women's specialist services service social the
support advocacy charity society association project collective group alliance hub
memory dementia carer carers family families advice information wellbeing crisis day home
peer working steering task finish reference user users focus advisory programme delivery
good best general nursing dental pharmacy private independent
oversight stakeholder stakeholders clinical workforce quality safety people patient
patients provider providers system place neighbourhood integrated commissioning
transformation strategy strategic improvement recovery urgent elective population public
adult adults young older voluntary sector vcse ics icb icp pcn primary secondary acute
""")
_WORD = r"(?:St\.|[A-Z][\w'’-]*)"     # no full stop inside: "Trust. The" is two names
_SP = r"[^\S\n]+"        # spaces or tabs: a name never runs across a line break
_JOIN = rf"(?:{_SP}(?:(?:and|of|upon|on|the|for|in|with|&){_SP})?|,{_SP}(?:(?:and|&){_SP})?)"
ORG_REGEX = rf"(?<![\w'’-])(?:{_WORD}{_JOIN}){{1,7}}(?:{'|'.join(KEYWORDS)})(?![\w-])"
_KEYWORD_ALT = "|".join(KEYWORDS)
_KEYWORD_HINTS = ("Trust", "Council", "Surgery", "Practice", "Centre", "PCN", "Network",
                  "Hospital", "Infirmary", "Hospice", "CIC", "Support", "Advocacy",
                  "Foundation", "Charity", "Society", "Association", "Project", "Collective",
                  "Group", "Alliance", "Partnership", "Hub", "Ltd", "Limited", "Inc", "PLC",
                  "plc", "LLC", "LLP", "Corp", "Company", "GmbH", "Agency", "Partners",
                  "Associates", "Technologies", "Solutions", "Consult")
_ENDS_WITH_KEYWORD = re.compile(rf"(?:{_KEYWORD_ALT})$")
_JOINT = re.compile(r",?\s+(?:and|&)\s+|,\s+")
HEALTHWATCH_REGEX = (rf"(?<![\w-])Healthwatch(?:{_SP}(?:(?:and|&|upon|on|of){_SP})?{_WORD}){{1,4}}"
                     r"(?![\w-])")


def org_kind(name: str) -> str:
    """Pseudonym kind of an organisation name (normalised or as written)."""
    n = normalise_org(name)
    if "integrated care board" in n or n.endswith(" icb"):
        return "organisation"
    if n.endswith("nhs foundation trust") or n.endswith("nhs trust") or n.endswith(
            "foundation trust"):
        return "nhs_trust"
    if n.endswith("council") or n.startswith("london borough of") or " council" in n:
        return "council"
    if n.startswith("healthwatch"):
        return "healthwatch"
    if n.endswith(("surgery", "practice", "health centre", "medical centre")):
        return "gp_practice"
    if n.endswith((" pcn", "primary care network")):
        return "pcn"
    if n.endswith(("hospital", "hospitals", "infirmary")):
        return "hospital"
    if n.endswith(("integrated care partnership", " icp", " ics")):
        return "organisation"
    return "organisation"


class OrganisationPatternRecognizer(PatternRecognizer):
    """Named organisations recognised by their last word(s), case-sensitive."""

    SCORE = 0.9

    def __init__(self, lexicon: Lexicon, name: str = "org_pattern") -> None:
        self.lexicon = lexicon
        super().__init__(
            supported_entity="ORGANISATION", name=name,
            patterns=[Pattern("organisation", ORG_REGEX, self.SCORE),
                      Pattern("healthwatch", HEALTHWATCH_REGEX, self.SCORE)],
            global_regex_flags=re.DOTALL | re.MULTILINE,
        )

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None,
                regex_flags: int | None = None) -> list[RecognizerResult]:
        """Match, then trim function words and drop names made only of generic words."""
        if "Healthwatch" not in text and not any(k in text for k in _KEYWORD_HINTS):
            return []
        out: list[RecognizerResult] = []
        for result in super().analyze(text, entities, nlp_artifacts, regex_flags):
            for piece_start, piece_end in self._split(text, result.start, result.end):
                trimmed = self._trim(text, piece_start, piece_end)
                if trimmed is None:
                    continue
                start, end = trimmed
                span = text[start:end]
                out.append(make_result(self, "ORGANISATION", start, end, self.SCORE,
                                       kind=org_kind(span), key=normalise_org(span)))
        return out

    @staticmethod
    def _split(text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Split "Elm Tree Surgery and Riverside PCN" into its two names.

        A match is cut at ", " / " and " / " & " when the part before it is already a
        complete name (ends with a keyword, or is "Healthwatch <Area>" followed by
        another complete name).
        """
        pieces: list[tuple[int, int]] = []
        pos = start
        for joint in _JOINT.finditer(text, start, end):
            left = text[pos:joint.start()]
            right = text[joint.end():end]
            left_complete = _ENDS_WITH_KEYWORD.search(left) is not None
            healthwatch = left.lstrip().startswith("Healthwatch") and \
                _ENDS_WITH_KEYWORD.search(right) is not None
            if left_complete or healthwatch:
                pieces.append((pos, joint.start()))
                pos = joint.end()
        pieces.append((pos, end))
        return pieces

    def _trim(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        words = list(re.finditer(r"[\w'’.&-]+", text[start:end]))
        stop = self.lexicon.stop_words
        while words and (words[0].group(0).lower() in stop
                         or words[0].group(0).lower() in {"so", "and", "but", "yeah", "well"}):
            if words[0].group(0) == "The" and len(words) > 2 and \
                    not is_sentence_initial(text, start + words[0].start()):
                break                       # "at The Larkfield Practice": part of the name
            words.pop(0)
        if len(words) < 2 and not text[start:end].startswith("Healthwatch"):
            return None
        if text[start + words[0].start():end].startswith("Healthwatch"):
            return start + words[0].start(), end
        keyword_words = 1
        tail = text[start + words[0].start():end]
        for kw in ("NHS Foundation Trust", "NHS Trust", "Foundation Trust", "Medical Practice",
                   "Health Centre", "Medical Centre", "Primary Care Network"):
            if " ".join(tail.split()).endswith(kw):
                keyword_words = len(kw.split())
                break
        naming = [w.group(0).lower().strip("'’.") for w in words[:-keyword_words]]
        if not any(w not in GENERIC_WORDS and w not in stop for w in naming):
            return None
        return start + words[0].start(), end
