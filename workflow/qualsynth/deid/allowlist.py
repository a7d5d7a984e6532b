"""Layer 5: the sector's vocabulary, which is never redacted.

Two rules, applied after the recognizers have run:

1. a detection that lies inside an occurrence of an allowed phrase ("Better Care Fund",
   "NHS England", "London ICS", a region name) is dropped;
2. a detection from a context-free detector (NER, place and first-name gazetteers,
   propagation) whose words are all sector vocabulary or function words ("the Quality
   Committee", "Adult Social Care") is dropped: it names no particular body.

Detections of registered names and of pattern identifiers (email, phone, NHS number ...)
are never dropped by the allow-list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from presidio_analyzer import RecognizerResult

from qualsynth.deid.labels import EXTRA_REGION_LABELS
from qualsynth.deid.lexicon import word_set
from qualsynth.deid.recognizers.base import detector_name
from qualsynth.deid.textutil import PhraseMatcher, lower_same_length, whitespace_to_spaces
from qualsynth.ingest.register import REGIONS

REGION_WORDS = (*REGIONS, *EXTRA_REGION_LABELS, "East Midlands", "West Midlands",
                "North East", "Yorkshire", "Yorkshire and the Humber", "the North",
                "the South", "the Midlands", "England", "UK", "United Kingdom",
                "Great Britain", "Britain")

ALLOW_PHRASES = (
    "NHS", "NHS England", "NHS Improvement", "NHS England and Improvement", "NHSE",
    "NHSEI", "NHS Providers", "NHS Confederation", "NHS Employers", "NHS Digital",
    "NHS Long Term Plan", "Long Term Plan", "Five Year Forward View",
    "ICB", "ICBs", "ICS", "ICSs", "ICP", "ICPs", "Integrated Care Board",
    "Integrated Care Boards", "Integrated Care System", "Integrated Care Systems",
    "Integrated Care Partnership", "Integrated Care Partnerships", "CQC",
    "Care Quality Commission", "PCN", "PCNs", "Primary Care Network",
    "Primary Care Networks", "VCSE", "VCS", "Better Care Fund", "BCF", "Healthwatch",
    "Healthwatch England", "GP", "GPs", "A&E", "Covid", "COVID", "COVID-19", "Covid-19",
    "coronavirus", "DHSC", "Department of Health and Social Care", "Department of Health",
    "UKHSA", "Public Health England", "PHE", "Health Education England", "HEE", "NICE",
    "NIHR", "King's Fund", "The King's Fund", "Nuffield Trust", "Health Foundation",
    "The Health Foundation", "Local Government Association", "LGA", "ADASS",
    "Skills for Care", "Alzheimer's Society", "Dementia UK", "Age UK", "Carers UK",
    "Health and Care Act", "Health and Care Act 2022", "Health and Social Care Act",
    "Health and Wellbeing Board", "Health and Wellbeing Boards", "section 75", "Section 75",
    "Teams", "MS Teams", "Microsoft Teams", "Zoom", "Fuller Stocktake", "ARRS",
    "Framework Method", "NVivo", "Parliament", "Government", "Treasury", "Ofsted",
    "Brexit", "Mental Health Act", "Care Act", "Additional Roles Reimbursement Scheme",
    "Quality and Outcomes Framework", "QOF", "Getting It Right First Time", "GIRFT",
    "Memory Assessment Service", "Memory Assessment Services", "People Plan",
    "NHS People Plan", "Core20PLUS5", "Population Health Management",
    # former and related bodies, roles and programmes
    "STP", "STPs", "Sustainability and Transformation Partnership", "CCG", "CCGs",
    "Clinical Commissioning Group", "CSU", "AHSN", "LMC", "LPC", "HWB", "DASS", "DPH", "DCS",
    "MDT", "MDTs", "IAPT", "CAMHS", "AMHP", "DoLS", "HCA", "HCAs", "ACP", "ACPs", "AHP",
    "AHPs", "UEC", "OSCE", "OSCEs", "CPD", "RCN", "BMA", "GMC", "NMC", "HCPC", "WTE",
    # file formats and everyday platforms
    "DASSs", "DVLA", "TUPE", "Friends and Family Test",
    "WEBVTT", "WhatsApp", "Facebook", "Twitter", "LinkedIn", "Google", "YouTube",
    "Microsoft", "Excel", "PowerPoint", "Outlook",
)
# Sector vocabulary: words that, on their own or together, name no particular body.
GENERIC_TOKENS = word_set("""
county city borough district parish town metropolitan unitary combined authority
authorities data skills vacancies vacancy recognition healthcare broadband email emails friends test
internet website online phone telephone letter letters
nhs icb icbs ics icss icp icps pcn pcns vcse cqc gp gps a&e covid covid-19 healthwatch
integrated care board boards system systems partnership partnerships place places
neighbourhood neighbourhoods region regional national local system-wide primary
secondary community acute mental health social public adult adults children child young
people family families services service trust trusts council councils quality committee
committees forum network networks alliance collaborative hub hubs team teams group
groups unit units department directorate division office board executive chief chair
vice deputy associate assistant director directors officer officers manager managers
lead leads head heads nurse nurses nursing doctor doctors consultant practitioner
practitioners pharmacist pharmacists therapist therapists worker workers coordinator
coordinators programme programmes project projects senior medical clinical workforce
strategy transformation finance financial operations operational commissioning
integration population digital estates governance memory dementia assessment diagnosis
pathway pathways support carers carer patient patients voice involvement engagement
people plan policy fund funding budget budgets performance improvement improvements
recovery urgent emergency elective planned general practice practices surgery hospital
hospitals provider providers commissioner commissioners partner partners partnership
sector sectors vcs voluntary charity charities housing education training wellbeing
inequalities prevention safeguarding development organisational organisation
organisations strategic operating model framework act report review standards standard
agenda meeting meetings minutes session sessions interview interviews covid-19 omicron
""")
_TOKEN = re.compile(r"[\w&'’-]+")


class AllowList:
    """Allowed phrases and vocabulary; ``extra`` adds a project's own terms (config)."""

    PROTECTED_PREFIXES = ("register", "uk_", "email", "url", "phone", "nhs_number", "nino",
                          "postcode", "address", "other_id", "date", "gazetteer_ics",
                          "gazetteer_trust", "gazetteer_council")

    def __init__(self, extra: Iterable[str] = (), stop_words: frozenset[str] = frozenset()):
        phrases = [*ALLOW_PHRASES, *REGION_WORDS, *(p.strip() for p in extra if p.strip())]
        phrases += [f"{r} {kind}" for r in (*REGIONS, *EXTRA_REGION_LABELS)
                    for kind in ("ICS", "ICB", "ICP")]
        self.phrases = tuple(dict.fromkeys(phrases))
        self.matcher = PhraseMatcher((p, p) for p in self.phrases)
        self.exact = frozenset(" ".join(p.lower().split()) for p in self.phrases)
        self.tokens = GENERIC_TOKENS | {w for p in self.phrases for w in p.lower().split()
                                        if len(p.split()) == 1}
        self.stop_words = stop_words

    def intervals(self, text: str) -> list[tuple[int, int]]:
        flat = whitespace_to_spaces(text)
        return [(h.start, h.end) for h in self.matcher.find(flat, lower_same_length(flat))]

    def is_allowed_text(self, value: str) -> bool:
        return " ".join(value.lower().split()) in self.exact

    def only_vocabulary(self, value: str) -> bool:
        """True when every word is sector vocabulary, a region word or a function word."""
        words = [w.lower().strip("'’-") for w in _TOKEN.findall(value)]
        words = [w[:-2] if w.endswith("'s") else w for w in words]
        return bool(words) and all(w in self.tokens or w in self.stop_words or not w
                                   for w in words)

    def protected(self, result: RecognizerResult) -> bool:
        return detector_name(result).startswith(self.PROTECTED_PREFIXES)

    def filter(self, text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
        """Drop detections of allowed vocabulary (see the module docstring)."""
        if not results:
            return results
        spans = self.intervals(text)
        kept = []
        for r in results:
            if self.protected(r):
                kept.append(r)
                continue
            value = text[r.start:r.end]
            if self.is_allowed_text(value) or self.only_vocabulary(value):
                continue
            if any(s <= r.start and r.end <= e for s, e in spans):
                continue
            kept.append(r)
        return kept
