"""Word error rate after normalising case, punctuation and numbers (both sides the same way)."""
from __future__ import annotations

import re

import jiwer
from num2words import num2words


def normalise(text: str) -> str:
    text = text.lower().replace("%", " percent")
    text = re.sub(r"(\d),(\d)", r"\1\2", text)
    text = re.sub(r"\d+", lambda m: " " + num2words(int(m.group())) + " ", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text.replace("-", " "))
    text = text.replace("'", "")
    return " ".join(text.split())


def wer(references: list[str], hypotheses: list[str]) -> float:
    return jiwer.wer([normalise(r) for r in references], [normalise(h) or "<empty>" for h in hypotheses])
