"""Invented people and identifiers for the demo corpus, all drawn from a seeded ``Random``.

People are invented: first names from the ONS regional baby-name table mixed with Faker's
en_GB first names, surnames from Faker's en_GB list (plus a short list of other common
UK surnames). Phone numbers come from Ofcom's drama ranges; NHS numbers carry a valid
modulus-11 check digit; practices, PCNs, charities and streets are invented.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

from qualsynth.corpus.reference import (
    ICB,
    NAME_REGIONS,
    Reference,
    council_area,
    council_display,
)

# ----------------------------------------------------------------------------- names
# Common UK surnames of South Asian, African, Caribbean, Irish, Polish and Chinese origin,
# which Faker's en_GB list lacks; a minority of invented people get one.
_OTHER_SURNAMES = (
    "Patel", "Shah", "Khan", "Hussain", "Ahmed", "Begum", "Singh", "Kaur", "Chowdhury",
    "Rahman", "Mistry", "Okafor", "Adeyemi", "Mensah", "Asante", "Okonkwo", "Campbell",
    "Murphy", "O'Brien", "Byrne", "Nowak", "Kowalski", "Wong", "Chen", "Malik", "Iqbal",
)
_MEDICAL_ROLE = re.compile(
    r"\b(GP|doctor|consultant|psychiatrist|geriatrician|physician|registrar|medical director|"
    r"chief medical|medical officer|clinical director|clinical chair)\b", re.IGNORECASE)
PERSON_FORMS = ("full", "first", "surname", "title_surname", "first_lower", "full_lower",
                "title_full", "email")


@dataclass(frozen=True)
class Person:
    """An invented person: the forms a transcript can name them by."""

    first: str
    surname: str
    sex: str
    title: str
    email: str
    role: str = ""

    @property
    def full(self) -> str:
        return f"{self.first} {self.surname}"

    def form(self, name: str) -> str:
        """The text of one marker form ({P.first}, {c1.title_surname}, ...)."""
        forms = {
            "full": self.full,
            "first": self.first,
            "surname": self.surname,
            "title_surname": f"{self.title} {self.surname}",
            "title_full": f"{self.title} {self.full}",
            "first_lower": self.first.lower(),
            "full_lower": self.full.lower(),
            "email": self.email,
        }
        if name not in forms:
            raise KeyError(name)
        return forms[name]


def _faker_names() -> tuple[list[str], list[str], list[str]]:
    from faker.providers.person.en_GB import Provider

    return (list(Provider.first_names_female), list(Provider.first_names_male),
            list(Provider.last_names))


class PeopleFactory:
    """Invents people with full names unique across one corpus build."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self.faker_female, self.faker_male, self.surnames = _faker_names()
        self.used_full: set[str] = set()

    def invent(self, rng: random.Random, sex: str, region: str, role: str = "",
               org_kind: str = "nhs", org_domain: str = "nhs.net",
               avoid_first: set[str] | None = None) -> Person:
        """A new person of the given sex; first name unused in ``avoid_first``."""
        avoid = {a.casefold() for a in (avoid_first or set())}
        ons_regions = NAME_REGIONS.get(region, ("London",))
        for _ in range(500):
            if rng.random() < 0.55:
                ons_region = rng.choice(ons_regions)
                first = rng.choice(self.reference.first_names[(ons_region, sex)])
            else:
                first = rng.choice(self.faker_female if sex == "F" else self.faker_male)
            surname = (rng.choice(_OTHER_SURNAMES) if rng.random() < 0.14
                       else rng.choice(self.surnames))
            full = f"{first} {surname}"
            if full.casefold() in self.used_full or first.casefold() in avoid:
                continue
            if first.casefold() == surname.casefold():
                continue
            self.used_full.add(full.casefold())
            title = choose_title(rng, sex, role)
            email = make_email(rng, first, surname, org_kind, org_domain)
            return Person(first=first, surname=surname, sex=sex, title=title, email=email,
                          role=role)
        raise RuntimeError("could not invent a unique name; the name pools are exhausted")


def choose_title(rng: random.Random, sex: str, role: str) -> str:
    """Dr for doctors (sometimes Professor), otherwise Mr / Mrs / Ms."""
    if "professor" in role.lower():
        return "Professor"
    if _MEDICAL_ROLE.search(role):
        senior = re.search(r"consultant|medical director|chief medical|psychiatrist|"
                           r"geriatrician", role, re.IGNORECASE)
        return "Professor" if senior and rng.random() < 0.15 else "Dr"
    if sex == "M":
        return "Mr"
    return rng.choice(("Mrs", "Ms", "Mrs", "Ms", "Miss"))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def make_email(rng: random.Random, first: str, surname: str, org_kind: str,
               domain: str) -> str:
    """An email address in the style of the person's organisation."""
    f, s = _slug(first), _slug(surname)
    if org_kind in ("nhs", "trust", "icb", "practice", "pcn", "hospital"):
        local = rng.choice((f"{f}.{s}", f"{f}.{s}", f"{f}.{s}{rng.randint(1, 9)}"))
        return f"{local}@{domain}"
    local = rng.choice((f"{f}.{s}", f"{f[0]}{s}", f"{f}.{s}", f"{f}"))
    return f"{local}@{domain}"


def role_org_kind(role: str) -> str:
    """Guess which kind of organisation a person with this job title works for."""
    r = role.lower()
    if "healthwatch" in r:
        return "healthwatch"
    if re.search(r"council|social (care|services|work)|public health|adult social|"
                 r"cabinet|councillor|local authority|borough", r):
        return "council"
    if re.search(r"charit|vcse|voluntary|carers' support|community organisation|"
                 r"peer support|volunteer|chief executive, local", r):
        return "charity"
    if re.search(r"wife|husband|son|daughter|carer\b|living with", r):
        return "personal"
    return "nhs"


# ----------------------------------------------------------------------------- orgs
_PRACTICE_STEMS = (
    "Elm Tree", "Castle", "Riverside", "Park View", "Brookfield", "Oakwood", "Meadowbank",
    "Hollybank", "Church Lane", "Market Street", "Beechwood", "Valley", "Station Road",
    "Westgate", "Larkfield", "Northgate", "Kingsway", "Millbrook", "Hawthorn", "Orchard",
    "Abbey", "Cedar", "Bridge Street", "Ashgrove", "Fernlea", "Springfield", "Willowbank",
)
_PRACTICE_TYPES = ("Surgery", "Medical Practice", "Medical Centre", "Health Centre",
                   "Family Practice", "Surgery")
_PCN_STEMS = ("Riverside", "Valley", "Moorland", "Three Rivers", "Canal Side", "Heartwood",
              "Northern Villages", "Castle", "Forest", "Brookside", "Harbour", "Millstream")
_CHARITY_STEMS = (
    "Brightwater", "Open Door", "Hearthstone", "Lanterns", "Bridges", "Compass", "Kindred",
    "Silver Birch", "Harbour", "Anchor Point", "Waymark", "Greenshoots", "Keystone",
    "Lighthouse", "Threshold", "Crossroads Community", "Wellspring", "Fieldfare",
)
_CHARITY_TYPES = ("Carers Network", "Community Trust", "Wellbeing Hub", "Community Action",
                  "Advocacy", "Memory Support", "Foundation", "Partnership")
_STREET_STEMS = (
    "Albion", "Beech", "Chapel", "Church", "Victoria", "Station", "Mill", "Park", "Queens",
    "Kings", "Oak", "Elm", "Willow", "Meadow", "Brook", "Ash", "Holly", "Orchard", "Manor",
    "Hawthorn", "Priory", "Cedar", "Springfield", "Westfield", "Grange", "Coronation",
    "Stanley", "Windsor", "Clarence", "Cromwell", "Alexandra", "Larch", "Rowan", "Sycamore",
    "Hollins", "Chestnut", "Bramble", "Foxglove", "Linden", "Nelson", "Wellington",
)
_STREET_TYPES = ("Road", "Street", "Lane", "Avenue", "Close", "Crescent", "Drive", "Way",
                 "Grove", "Terrace", "Gardens", "Walk")
_MENTAL_HEALTH = re.compile(
    r"Mental Health|Partnership|Pennine Care|Mersey Care|Nottinghamshire Healthcare|"
    r"Humber Teaching|Tees, Esk|South Humber|^West London NHS|Central and North West London|"
    r"^Lancashire & South Cumbria|^Cambridgeshire and Peterborough NHS|Norfolk and Suffolk|"
    r"Maudsley|Oxleas|^East London NHS|^North East London NHS|Black Country Healthcare|"
    r"Derbyshire Healthcare|Northamptonshire Healthcare|Berkshire Healthcare|Dorset Healthcare|"
    r"Oxford Health|Cumbria, Northumberland|Leeds and York|South West Yorkshire|"
    r"Bradford District Care|Sheffield Health and Social Care|Avon and Wiltshire|"
    r"Health and Care NHS|Camden and Islington|Surrey and Borders|Southern Health|"
    r"North Staffordshire Combined")
_SPECIALIST = re.compile(r"Ambulance|Christie|Papworth|Queen Victoria Hospital|Great Ormond|"
                         r"Royal Marsden|Moorfields|Clatterbridge|Alder Hey|Orthopaedic|"
                         r"Robert Jones|Tavistock|Royal Brompton|Liverpool Heart|Walton Centre|"
                         r"Children's|Women's")
_HINTS = (
    ("mental_health", re.compile(r"mental health|memory (service|clinic|assessment)|psychiatr|"
                                 r"old age|crisis team")),
    ("community", re.compile(r"community (trust|services|nurs|health|provider)|"
                             r"district nurs")),
    ("acute", re.compile(r"acute|hospital|a&e|emergency department|\bwards?\b|\bbeds\b|"
                         r"discharge|theatres|elective|\bed\b")),
)


def trust_type(name: str) -> str:
    """acute | mental_health | community | specialist (ambulance and national trusts)."""
    if _SPECIALIST.search(name):
        return "specialist"
    if "Community" in name or name.startswith("Solent"):
        return "community"
    if _MENTAL_HEALTH.search(name):
        return "mental_health"
    return "acute"


def hint_type(context: str) -> str | None:
    """Which kind of trust the words around a {org.trust} marker suggest, if any."""
    lowered = context.lower()
    for kind, pattern in _HINTS:
        if pattern.search(lowered):
            return kind
    return None


ORG_FAMILIES = ("trust", "icb", "council", "practice", "pcn", "charity", "healthwatch",
                "hospital")
PLACE_FAMILIES = ("town", "street")
_SLOT = re.compile(r"^(?P<family>[a-z]+?)(?P<n>\d*)$")


def split_slot(slot: str) -> tuple[str, int]:
    """'trust2' -> ('trust', 2); 'council' -> ('council', 1)."""
    match = _SLOT.match(slot)
    if not match:
        raise KeyError(slot)
    return match.group("family"), int(match.group("n") or 1)


class Slots:
    """Organisation and place values for one participant, consistent within it.

    ``get('org', 'trust2')`` returns the second distinct trust of the ICS, and so on.
    Values are chosen lazily from the ICB's real bodies and towns or invented.
    """

    def __init__(self, icb: ICB, rng: random.Random) -> None:
        self.icb = icb
        self.rng = rng
        self.values: dict[str, str] = {}

    def get(self, kind: str, slot: str, hint: str = "") -> str:
        """The value of ``{kind.slot}``; ``hint`` is the text around its first use."""
        family, n = split_slot(slot)
        key = f"{kind}.{family}{n}"
        if key in self.values:
            return self.values[key]
        taken = {v for k, v in self.values.items() if k.startswith(f"{kind}.{family}")}
        value = self._new(kind, family, taken, hint)
        self.values[key] = value
        return value

    def _pick(self, pool: list[str], taken: set[str]) -> str | None:
        free = [p for p in pool if p not in taken]
        return self.rng.choice(free) if free else None

    def _new(self, kind: str, family: str, taken: set[str], hint: str = "") -> str:
        rng, icb = self.rng, self.icb
        if kind == "place":
            if family == "town":
                return self._pick(icb.towns, taken) or rng.choice(icb.towns)
            if family == "street":
                for _ in range(100):
                    value = f"{rng.choice(_STREET_STEMS)} {rng.choice(_STREET_TYPES)}"
                    if value not in taken:
                        return value
            raise KeyError(family)
        if family == "trust":
            wanted = hint_type(hint)
            order = [wanted] if wanted else []
            order += [t for t in ("acute", "mental_health", "community", "specialist")
                      if t not in order]
            for kind_wanted in order:
                value = self._pick([t for t in icb.trusts if trust_type(t) == kind_wanted],
                                   taken)
                if value:
                    return value
            return rng.choice(icb.trusts)
        if family == "icb":
            return icb.name
        if family == "council":
            councils = [council_display(c) for c in icb.councils]
            value = self._pick(councils, taken)
            if value is None:  # one-council ICS: a town council in the area
                value = f"{self._pick(icb.towns, set()) or icb.towns[0]} Town Council"
            return value
        if family == "hospital":
            return self._pick(icb.hospitals, taken) or rng.choice(icb.hospitals)
        if family == "healthwatch":
            council = self.get("org", "council")
            return f"Healthwatch {council_area(council)}"
        for _ in range(200):
            if family == "practice":
                stem = rng.choice(_PRACTICE_STEMS)
                value = rng.choice((f"{stem} {rng.choice(_PRACTICE_TYPES)}",
                                    f"The {stem} Practice"))
            elif family == "pcn":
                town = rng.choice(icb.towns)
                value = rng.choice((f"{rng.choice(_PCN_STEMS)} PCN", f"{town} Central PCN",
                                    f"North {town} PCN", f"{town} East PCN",
                                    f"{rng.choice(_PCN_STEMS)} Primary Care Network"))
            elif family == "charity":
                value = f"{rng.choice(_CHARITY_STEMS)} {rng.choice(_CHARITY_TYPES)}"
            else:
                raise KeyError(family)
            if value not in taken:
                return value
        raise RuntimeError(f"could not invent a distinct {family}")

    def domain(self, org_kind: str) -> str:
        """Email domain for someone working at this kind of organisation."""
        if org_kind in ("council", "local_authority"):
            return f"{_slug(council_area(self.get('org', 'council')))}.gov.uk"
        if org_kind == "charity":
            return f"{_slug(self.get('org', 'charity'))}.org.uk"
        if org_kind == "healthwatch":
            return f"{_slug(self.get('org', 'healthwatch'))}.co.uk"
        if org_kind == "personal":
            return self.rng.choice(("gmail.com", "hotmail.co.uk", "btinternet.com",
                                    "outlook.com", "yahoo.co.uk"))
        return "nhs.net"


# ----------------------------------------------------------------------------- numbers
def nhs_check_digit(nine: str) -> int | None:
    """Modulus-11 check digit for the first nine digits; None when the number is invalid."""
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def nhs_number_valid(text: str) -> bool:
    """True when ``text`` (spaces or hyphens allowed) is ten digits with a valid check digit."""
    digits = re.sub(r"[\s-]", "", text)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


def nhs_number(rng: random.Random) -> str:
    """A ten-digit NHS number with a valid check digit, in one of the common written forms."""
    while True:
        first = rng.choice(("4", "4", "6", "9"))
        nine = first + "".join(str(rng.randint(0, 9)) for _ in range(8))
        check = nhs_check_digit(nine)
        if check is not None:
            break
    digits = nine + str(check)
    style = rng.random()
    if style < 0.6:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if style < 0.8:
        return digits
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


def postcode(rng: random.Random, areas: list[str]) -> str:
    """A valid-looking postcode in one of the ICB's postcode areas (e.g. ME4 6QR)."""
    area = rng.choice(areas)
    district = rng.randint(1, 20 if len(area) == 2 else 28)
    inward = f"{rng.randint(1, 9)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return f"{area}{district} {inward}"


def phone(rng: random.Random, fiction_prefix: str = "01632 960") -> str:
    """A UK number from Ofcom's drama ranges, in one of several written forms."""
    if rng.random() < 0.4:
        tail = f"{rng.randint(0, 999):03d}"
        return rng.choice((f"07700 900{tail}", f"07700 900 {tail}", f"07700900{tail}",
                           f"+44 7700 900{tail}"))
    digits = fiction_prefix.replace(" ", "")
    if fiction_prefix.startswith("01632"):
        tail = f"{rng.randint(0, 999):03d}"
        return rng.choice((f"01632 960{tail}", f"01632 960 {tail}", f"(01632) 960{tail}"))
    area, exchange = fiction_prefix.split()[0], fiction_prefix.split()[1]
    line = f"0{rng.randint(0, 999):03d}"
    number = f"{digits[len(area):]}{line[1:]}"  # e.g. 4960 + 123
    local = f"{exchange} {line}"
    return rng.choice((f"{area} {local}", f"({area}) {local}", f"{area}{number}",
                       f"+44 {area[1:]} {local}"))


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"


def nino(rng: random.Random) -> str:
    """A National Insurance number in the QQ 12 34 56 C shape (valid prefix letters)."""
    prefix = rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)
    while prefix in ("GB", "BG", "NK", "KN", "TN", "NT", "ZZ"):
        prefix = rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND)
    nums = [f"{rng.randint(0, 99):02d}" for _ in range(3)]
    suffix = rng.choice("ABCD")
    if rng.random() < 0.6:
        return f"{prefix} {' '.join(nums)} {suffix}"
    return f"{prefix}{''.join(nums)}{suffix}"


def staff_id(rng: random.Random) -> str:
    """An employee, case or reference number."""
    n = rng.randint(100000, 999999)
    return rng.choice((f"EMP-{n}", f"ASC-{n:08d}", f"SR{n}", f"{n // 1000:03d}/{n % 1000:03d}",
                       f"CR-{n}"))


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return str(n) + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def date_text(rng: random.Random, before: date) -> str:
    """A specific date a few days to about a year before ``before``, in a spoken form."""
    day = before - timedelta(days=rng.randint(3, 380))
    month = _MONTHS[day.month - 1]
    weekday = (f"{_DAYS[day.weekday()]} the {ordinal(day.day)}" if day.weekday() < 5
               else f"the {ordinal(day.day)} of {month}")
    forms = (
        f"{ordinal(day.day)} {month}",
        f"{day.day} {month} {day.year}",
        f"the {ordinal(day.day)} of {month}",
        f"{day.day:02d}/{day.month:02d}/{day.year}",
        weekday,
        f"{ordinal(day.day)} of {month} {day.year}",
    )
    return rng.choice(forms)


def address(rng: random.Random, slots: Slots) -> str:
    """A full invented street address with a real town and a valid-looking postcode."""
    number = rng.randint(1, 148)
    street = f"{rng.choice(_STREET_STEMS)} {rng.choice(_STREET_TYPES)}"
    town = rng.choice(slots.icb.towns)
    code = postcode(rng, slots.icb.postcode_areas)
    if rng.random() < 0.25:
        return f"Flat {rng.randint(1, 12)}, {number} {street}, {town}, {code}"
    return rng.choice((f"{number} {street}, {town}, {code}", f"{number} {street}, {town} {code}"))


def url(rng: random.Random, slots: Slots) -> str:
    """A web address for one of the participant's local bodies."""
    choice = rng.random()
    if choice < 0.45:
        return f"www.{_slug(slots.get('org', 'charity'))}.org.uk"
    if choice < 0.7:
        area = _slug(council_area(slots.get("org", "council")))
        return rng.choice((f"www.{area}.gov.uk", f"www.{area}.gov.uk/adult-social-care",
                           f"https://www.{area}.gov.uk/carers"))
    if choice < 0.85:
        return f"www.{_slug(slots.get('org', 'practice'))}.nhs.uk"
    return f"https://www.{_slug(slots.get('org', 'healthwatch'))}.co.uk"
