"""Spoken to-dos (issue 16, point 3): precision and recall of organize.todos.find_todos against a keyword rule.

Run: .venv/bin/python bench/bench_todos.py [--seed 0] [--errors development]

The labelled memos are bench/todo_sets.py's (clinc150 + hwu64 utterances labelled one by one, sentences
written for this benchmark, due-date templates; its docstring has the labelling rule). Three parts:
`development`, the only one the detector was tuned on (its errors were read, rules changed); `held_out`, the
other half of the same sources, split by sentence (only its scores were seen, never its memos or errors);
`fresh_banking77`, banking77 utterances labelled after the detector was frozen and scored once.

Scores
- memo level: a memo is positive when it holds a to-do; predicted positive when anything is found.
- to-do level: a found to-do matches a labelled one when their character spans overlap and the words of the
  found text and the labelled action agree (token F1 >= 0.5, fillers ignored); one to one. "span only" drops
  the word test.
- due: on the to-dos said with a day (the templates, recorded at a known time), the share found with the
  right day; on the written to-dos said without one, the share found with a day anyway.
Baseline, same memos, same scoring: a memo holds a to-do when it contains need/needs/should/must/have to/
remind/reminder/forget/remember/todo/to do; each sentence (split at . ! ?) holding one of those words is a
to-do, its text the whole sentence, no due day.
Figures go to bench/results/todos.json; `--errors PART` prints that part's misses and false alarms (read
only the development part's: the others are for measuring).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from organize.todos import Todo, find_todos  # noqa: E402
from todo_sets import PARTS, Memo, memo_sets  # noqa: E402

_KEYWORDS = re.compile(r"\b(need|needs|should|must|have to|remind|reminder|forget|remember|todo|to do|to-do)\b",
                       re.IGNORECASE)
_NOT_COUNTED = {"uh", "um", "like", "you", "know"}


def keyword_rule(text: str, recorded_at) -> list[Todo]:
    """The baseline: every sentence with a keyword is a to-do."""
    found = []
    for match in re.finditer(r"[^.!?]+", text):
        if _KEYWORDS.search(match.group()):
            found.append(Todo(match.group().strip(), None, match.start(), match.end()))
    return found


def _tokens(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in _NOT_COUNTED]


def token_f1(found: str, expected: str) -> float:
    a, b = _tokens(found), _tokens(expected)
    if not a or not b:
        return 0.0
    common = sum(min(a.count(w), b.count(w)) for w in set(a))
    if not common:
        return 0.0
    precision, recall = common / len(a), common / len(b)
    return 2 * precision * recall / (precision + recall)


def _match(memo: Memo, found: list[Todo], strict: bool) -> list[tuple[int, int]]:
    """(found index, labelled index) pairs, one to one, best word agreement first."""
    pairs = []
    for i, todo in enumerate(found):
        for j, gold in enumerate(memo.todos):
            if todo.start < gold.end and gold.start < todo.end:
                agreement = token_f1(todo.text, gold.action)
                if agreement >= 0.5 or not strict:
                    pairs.append((agreement, i, j))
    used_found, used_gold, matched = set(), set(), []
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_found and j not in used_gold:
            used_found.add(i)
            used_gold.add(j)
            matched.append((i, j))
    return matched


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "tp": tp, "fp": fp, "fn": fn}


def score(memos: list[Memo], detector) -> dict:
    memo_counts = [0, 0, 0]
    strict_counts, lenient_counts = [0, 0, 0], [0, 0, 0]
    dated = dated_right = undated = undated_with_day = 0
    agreements = []
    started = time.perf_counter()
    results = [detector(memo.text, memo.recorded_at) for memo in memos]
    seconds = time.perf_counter() - started
    for memo, found in zip(memos, results):
        has, said = bool(memo.todos), bool(found)
        memo_counts[0] += has and said
        memo_counts[1] += said and not has
        memo_counts[2] += has and not said
        for counts, strict in ((strict_counts, True), (lenient_counts, False)):
            matched = _match(memo, found, strict)
            counts[0] += len(matched)
            counts[1] += len(found) - len(matched)
            counts[2] += len(memo.todos) - len(matched)
        by_gold = {j: found[i] for i, j in _match(memo, found, False)}
        for j, gold in enumerate(memo.todos):
            if j in by_gold:
                agreements.append(token_f1(by_gold[j].text, gold.action))
            if not gold.due_known:
                continue
            if gold.due is not None:
                dated += 1
                dated_right += j in by_gold and by_gold[j].due == gold.due
            elif j in by_gold:
                undated += 1
                undated_with_day += by_gold[j].due is not None
    return {
        "memos": len(memos), "with_todo": sum(bool(m.todos) for m in memos),
        "memo": _prf(*memo_counts), "todo": _prf(*strict_counts), "todo_span_only": _prf(*lenient_counts),
        "text_agreement": sum(agreements) / len(agreements) if agreements else 0.0,
        "due_right": dated_right / dated if dated else 0.0, "dated": dated,
        "due_spurious": undated_with_day / undated if undated else 0.0, "undated_found": undated,
        "ms_per_memo": 1000 * seconds / len(memos),
    }


def print_errors(memos: list[Memo]) -> None:
    for memo in memos:
        found = find_todos(memo.text, memo.recorded_at)
        matched = _match(memo, found, True)
        missed = [g for j, g in enumerate(memo.todos) if j not in {j for _, j in matched}]
        wrong = [t for i, t in enumerate(found) if i not in {i for i, _ in matched}]
        dated_wrong = [(found[i], memo.todos[j]) for i, j in matched
                       if memo.todos[j].due_known and found[i].due != memo.todos[j].due]
        if missed or wrong or dated_wrong:
            print(f"--- {memo.kind} {memo.recorded_at:%a %Y-%m-%d %H:%M}: {memo.text}")
            for gold in missed:
                print(f"  MISSED  {memo.text[gold.start:gold.end]!r} -> {gold.action!r}")
            for todo in wrong:
                print(f"  EXTRA   {memo.text[todo.start:todo.end]!r} -> {todo.text!r} {todo.due}")
            for todo, gold in dated_wrong:
                print(f"  DUE     {memo.text[todo.start:todo.end]!r}: {todo.due} expected {gold.due}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--errors", choices=PARTS)
    args = parser.parse_args()
    sets = memo_sets(seed=args.seed)
    if args.errors:
        print_errors(sets[args.errors])
        return
    find_todos("warm-up: remind me to load the date parser tomorrow", __import__("datetime").datetime(2026, 12, 1))
    report = {}
    print(f"{'part':15} {'method':14} {'memos':>5} {'memo P/R/F1':>17} {'to-do P/R/F1':>17} {'span-only P/R':>13} "
          f"{'words':>5} {'due ok':>9} {'day where none':>14} {'ms/memo':>7}")
    for part in PARTS:
        for name, detector in (("find_todos", find_todos), ("keyword rule", keyword_rule)):
            s = score(sets[part], detector)
            report[f"{part}/{name}"] = s
            m, t, lenient = s["memo"], s["todo"], s["todo_span_only"]
            due = f"{s['due_right']:.3f}" if name == "find_todos" and s["dated"] else "-"
            spurious = f"{s['due_spurious']:.3f}" if name == "find_todos" and s["undated_found"] else "-"
            print(f"{part:15} {name:14} {s['memos']:5} {m['precision']:.3f}/{m['recall']:.3f}/{m['f1']:.3f} "
                  f"{t['precision']:.3f}/{t['recall']:.3f}/{t['f1']:.3f} "
                  f"{lenient['precision']:.3f}/{lenient['recall']:.3f}"
                  f" {s['text_agreement']:5.2f} {due:>9} {spurious:>14} {s['ms_per_memo']:7.2f}")
    print("memos with a to-do / to-dos said with a day: " + ", ".join(
        f"{part} {report[part + '/find_todos']['with_todo']} / {report[part + '/find_todos']['dated']}"
        for part in PARTS))
    out = HERE / "results" / "todos.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"seed": args.seed, **report}, indent=1, default=str))


if __name__ == "__main__":
    main()
