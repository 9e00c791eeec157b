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

# scikit-learn's list (from the Glasgow IR group) also holds words that are a memo's topic: "fire the
# system", "pay the bill", "call mum", "a name for the band". They count as content here.
CONTENT_WORDS = frozenset(
    """
    back bill bottom call cry describe detail empty fill find fire found front full interest mill move
    name part serious show side sincere system thick thin top
    """.split()
)

# What people say to check that a recorder works; a memo of only these is junk, yet "blood test" keeps its word.
MICROPHONE_CHECKS = frozenset("test testing tested hello mic microphone".split())

# Words that are not stop words yet say nothing about what sets a theme apart: never part of a theme's name.
GENERIC_WORDS = frozenset(
    """
    people person thing things time times way ways kind kinds really stuff lot lots something anything
    everything nothing someone anyone everyone day days year years week good great bad better best
    new old use used using make makes making made want wanted try trying idea ideas point
    sure different important feel start started able whole end part fact case lot place look looking
    does did doing done
    """.split()
) - CONTENT_WORDS

STOP_WORDS = (frozenset(ENGLISH_STOP_WORDS) - CONTENT_WORDS) | SPEECH_FILLERS | CONTRACTIONS

WORD_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z'\-]*[a-zA-Z]|[a-zA-Z]|\d+")
# Names are made of words only: a bare number ("11") says nothing about a theme.
NAME_WORD_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z'\-]*[a-zA-Z]")


def words_of(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (letters, inner apostrophes/hyphens, numbers)."""
    return [w.lower() for w in WORD_PATTERN.findall(text or "")]


def is_content_word(word: str) -> bool:
    """Whether a lower-case word can say what a text is about: not a stop word, filler or bare number."""
    return word not in STOP_WORDS and not word.isdigit()


def content_words(text: str) -> list[str]:
    """The words of ``text`` that can say what it is about."""
    return [w for w in words_of(text) if is_content_word(w)]


def is_junk(text: str) -> bool:
    """True for texts with nothing to group by: empty, or only fillers, stop words and microphone checks
    ("uh yeah okay so", "test test", "hello hello"). One word with a topic ("groceries") is kept: voice
    notes are often that short.
    """
    return not set(content_words(text)) - MICROPHONE_CHECKS
