"""Short titles for single memos: the memo's most salient phrase, not its first words.

Scoring is RAKE (Rose et al. 2010): the text is cut into candidate phrases at stop words,
fillers and punctuation; a word scores degree/frequency (long content phrases and words
that co-occur with others win), and a phrase scores the sum of its words.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

from organize.vocabulary import SPEECH_FILLERS, WORD_PATTERN, is_content_word, words_of

log = logging.getLogger(__name__)

MAX_TITLE_WORDS = 6
UNTITLED = "Untitled memo"
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]\"\n]+")


def candidate_phrases(text: str) -> list[list[str]]:
    """Runs of content words between stop words and punctuation, in text order."""
    phrases: list[list[str]] = []
    for fragment in _PHRASE_BREAK.split(text or ""):
        run: list[str] = []
        for word in (w.lower() for w in WORD_PATTERN.findall(fragment)):
            if not is_content_word(word):
                if run:
                    phrases.append(run)
                run = []
            else:
                run.append(word)
        if run:
            phrases.append(run)
    return phrases


_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)\s*$")


def spoken_case(text: str) -> dict[str, str]:
    """lower-case word -> the case it was written in, for words capitalised other than at a sentence's
    start (names: "John Dashwood", "Lisbon", "GPT"). Whisper capitalises sentence starts, so those say nothing."""
    cased: dict[str, str] = {}
    for match in WORD_PATTERN.finditer(text or ""):
        word = match.group()
        if word[:1].isupper() and not _SENTENCE_START.search(text[: match.start()]):
            cased.setdefault(word.lower(), word)
    return cased


def _capitalise(words: list[str], cased: dict[str, str] | None = None) -> str:
    words = [(cased or {}).get(w, w) for w in words[:MAX_TITLE_WORDS]]
    title = " ".join(words)
    return title[:1].upper() + title[1:]


def title_for(text: str) -> str:
    """A capitalised title of at most 6 words for one memo (``"Untitled memo"`` if empty)."""
    phrases = candidate_phrases(text)
    all_words = words_of(text)
    cased = spoken_case(text)
    if not phrases:  # only fillers and stop words: a short memo is its own title
        said = [w for w in all_words if w not in SPEECH_FILLERS]
        return _capitalise(said, cased) if 0 < len(said) <= 3 else UNTITLED
    if len(all_words) <= 3:  # very short memo: its own words are the best title
        return _capitalise(all_words, cased)
    frequency: Counter[str] = Counter()
    degree: Counter[str] = Counter()
    for phrase in phrases:
        for word in phrase:
            frequency[word] += 1
            degree[word] += len(phrase)
    def score(phrase: list[str]) -> float:
        return sum(degree[w] / frequency[w] for w in phrase)
    seen: set[tuple[str, ...]] = set()
    unique = [p for p in phrases if not (tuple(p) in seen or seen.add(tuple(p)))]
    ranked = sorted(range(len(unique)), key=lambda i: (-score(unique[i]), i))
    best = [ranked[0]]
    # One-word winners read poorly ("Dentist"); add the runner-up phrase, in text order.
    if len(unique[ranked[0]]) == 1 and len(ranked) > 1:
        best.append(ranked[1])
    words = list(dict.fromkeys(w for i in sorted(best) for w in unique[i]))
    if len(words) == 1:  # "Call the dentist" reads better than "Dentist"
        words = _context_of(words[0], all_words)
    return _capitalise(words, cased)


_EDGE_WORDS = SPEECH_FILLERS | {"to", "the", "a", "an", "and", "at", "of", "in", "on", "for", "i"}


def _context_of(word: str, all_words: list[str]) -> list[str]:
    """The word with up to two words either side, trimmed of fillers at the edges."""
    i = all_words.index(word)
    span = all_words[max(0, i - 2): i + 3]
    centre = span.index(word)
    while span and centre > 0 and span[0] in _EDGE_WORDS:
        span, centre = span[1:], centre - 1
    while len(span) > centre + 1 and span[-1] in _EDGE_WORDS:
        span = span[:-1]
    return span
