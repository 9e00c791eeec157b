"""Words that never carry a memo's meaning: English stop words plus speech fillers."""

from __future__ import annotations

import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Fillers and hedges that transcribed speech is full of; they would otherwise
# top every theme name because every memo contains them.
SPEECH_FILLERS = frozenset(
    """
    um umm uh uhh er erm ah hmm mm mhm yeah yep yes yup no nope ok okay alright right
    like so well know just really actually basically literally gonna wanna gotta
    kind sort thing things stuff lot lots maybe probably pretty mean guess think
    said say says saying want need got get getting going go let lets oh hey hi
    bit little today tomorrow now please thanks thank tell remind note memo
    """.split()
)

# Contractions are as empty as the stop words they are made of ("we're", "it's", "don't").
CONTRACTIONS = frozenset(
    f"{pronoun}'{ending}"
    for pronoun in "i you we they he she it that there here what who let".split()
    for ending in ("m", "re", "s", "ve", "ll", "d")
) | frozenset(
    f"{verb}n't" for verb in "do does did ca wo is are was were could would should have has had ai must need".split()
) | frozenset({"y'all", "can't", "won't"})

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | SPEECH_FILLERS | CONTRACTIONS

WORD_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z'\-]*[a-zA-Z]|[a-zA-Z]|\d+")
# Names are made of words only: a bare number ("11") says nothing about a theme.
NAME_WORD_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z'\-]*[a-zA-Z]")


def words_of(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (letters, inner apostrophes/hyphens, numbers)."""
    return [w.lower() for w in WORD_PATTERN.findall(text or "")]


def is_junk(text: str, min_distinct_words: int = 2) -> bool:
    """True for texts with nothing to group by: empty, one repeated word ("test test"),
    or only fillers and stop words ("uh yeah okay so"). Two-word memos such as
    "alarm settings" are kept: they are common in voice notes and usually on topic.
    """
    words = words_of(text)
    return len(set(words)) < min_distinct_words or not any(w not in STOP_WORDS for w in words)
