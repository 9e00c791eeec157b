"""Spoken to-dos: the intentions a memo states ("remind me to…", "I need to…", "note to self…") and the
day each is due, resolved against the recording time ("tomorrow", "by Friday", "on the fifteenth").

A to-do is the speaker's own concrete action stated with an intention marker. Two kinds of marker:

- *requests* — "remind me to", "set a reminder to", "don't forget to", "remember to", "make sure to",
  "note to self", "to do:", "add … to my to-do list": taken at their word, whatever the action;
- *obligations* — "I need to", "I have to", "I must", "I should", "I've got to", "I gotta": only with the
  speaker ("I") as subject, not negated, not asked ("do I need to"), not in a relative or conditional clause
  ("the question I need to answer", "if I have to"), and only when the verb is something one can do and tick
  off: "I need to call the bank", not "I need to think about consciousness", "I should be more patient".

Not found, on purpose: bare imperatives ("buy milk tomorrow": indistinguishable from a thought without a
marker), "we"/"you"/"it" subjects ("we should think about…", "the robot hand needs…"), wishes ("I want to…",
"I should move to the coast someday"), habits ("I should call grandma more often"), projects ("I should build
a robot that waters the plants"), advice ("don't forget to enjoy the process").

Transcripts are Whisper's: any case, odd or missing punctuation, "uh"/"um", run-on sentences. Sentences are
cut at end punctuation, then a to-do ends where a new thought begins (", and I…", "because…", "anyway…",
another marker). `start`/`end` are character offsets of the whole intention in the transcript, so a caller
can map them to segment times.

Due days come from `organize.spoken_days` (its docstring has the conventions): a day said in the intention
("…by Friday", "remind me tomorrow to…") or right before it ("On Monday, I have to…").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from organize.spoken_days import DATE, day_end, day_in, day_just_before

@dataclass(frozen=True)
class Todo:
    text: str  # the action, cleaned: "Call the landlord about the heating"
    due: date | None  # the day it is due, when a day was said
    start: int  # character offsets of the intention in the transcript
    end: int


# --- fillers: matching runs on the transcript without them --------------------------------------------

_HESITATION = re.compile(r"(?:u+h+m*|u+m+|e+r+m*|a+h+|h+m+|m+h*m+|mhm)[.,]?")
_YOU_KNOW_NOT_FILLER = frozenset("do did don't didn't let if as would will you'd".split())
# "like" is a filler next to commas, before a modal ("I like, have to"), or between a preposition or "to"
# and what follows ("on like the 21st", "to like wash"); otherwise it is a verb or a preposition.
_LIKE_BEFORE_MODAL = frozenset(
    "have need should must gotta got will can remember forget want think was said told went really just totally"
    .split())
_LIKE_AFTER = frozenset("to and of on by at in a my just so really the next this last every".split())
_LIKE_NOT_BEFORE = frozenset("to it this that him her them me you us a an my your his their our what how when".split())


@dataclass
class _Compact:
    """The transcript folded to lower case, fillers out, one space between words; `index[i]` is where
    character i came from. `cased` is the same string in the transcript's own case."""
    text: str
    cased: str
    index: list[int]
    soft_commas: set[int]  # commas that only set off a dropped filler ("call the, um, landlord")

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Transcript offsets of compact [start, end)."""
        return self.index[start], self.index[end - 1] + 1


def _compact(transcript: str) -> _Compact:
    tokens = [(m.start(), m.group()) for m in re.finditer(r"\S+", transcript)]
    folded = [_fold(word) for _, word in tokens]
    words = [re.sub(r"^[^\w']+|[^\w']+$", "", word) for word in folded]
    drop = [False] * len(tokens)
    for i, word in enumerate(words):
        if _HESITATION.fullmatch(folded[i]):
            drop[i] = True
        elif word == "you" and i + 1 < len(words) and words[i + 1] == "know" and not folded[i + 1].endswith("?") and (
                i == 0 or words[i - 1] not in _YOU_KNOW_NOT_FILLER):
            drop[i] = drop[i + 1] = True
        elif word == "like":
            after = words[i + 1] if i + 1 < len(words) else ""
            before = words[i - 1] if i else ""
            if (folded[i].endswith(",") or (i and folded[i - 1].endswith(","))
                    or after in _LIKE_BEFORE_MODAL and before not in ("would", "i'd", "you'd", "we'd")
                    or before in _LIKE_AFTER and after and after not in _LIKE_NOT_BEFORE):
                drop[i] = True
    text, cased, index, soft = [], [], [], set()
    for i, (position, word) in enumerate(tokens):
        if drop[i]:
            if text and text[-1] == "," and folded[i].endswith(","):
                soft.add(len(text) - 1)
            continue
        if text:
            text.append(" "), cased.append(" "), index.append(position - 1)
        text.extend(folded[i]), cased.extend(word), index.extend(range(position, position + len(word)))
    return _Compact("".join(text), "".join(cased), index, soft)


def _fold(text: str) -> str:
    """Lower case with the same length (offsets stay valid), curly apostrophes straightened."""
    return "".join(c if len(low := c.lower()) != 1 else low for c in text).replace("\u2019", "'").replace("\u2018", "'")


def _words(fragment: str) -> list[str]:
    return re.findall(r"[\w']+", fragment)


# --- markers -----------------------------------------------------------------------------------------

_B = r"(?<![\w'])"  # a word starts here
_E = r"(?![\w'])"  # a word ends here
# Requests: the action follows the match. "remind me (on Friday) to" is built in code, with a day allowed.
_REMIND_ME = re.compile(rf"{_B}remind me{_E}")
_REMIND_ME_TO = re.compile(r"\s*,?\s*(?:to|that|about)(?![\w'])")
_REQUESTS = tuple(re.compile(p) for p in (
    rf"{_B}(?:set|create|make|add|put in|give me|schedule|i need|i want|i'd like|i would like)(?: up)?(?: me)?"
    r",? (?:a |an |another |one )?(?:new |quick |little |repeating |recurring |daily )?reminder(?: alarm| note)?"
    rf"(?: for me| for myself)?(?:,? (?:to|for|about|that|so){_E}|:)?",
    rf"{_B}(?:i (?:want|need|would like|'d like) to be|please) reminded(?: (?:to|about|that){_E})?",
    rf"{_B}(?:tell|alert|ping|text|nudge|remind) me(?: later)?(?: when it's time)? to{_E}",
    rf"{_B}(?:don't|do not|dont|never|mustn't|must not|can't|cannot|shouldn't|should not|better not)"
    rf"(?: let me)?,? forget(?: (?:to|about))?{_E}(?! that)",
    rf"{_B}i (?:don't|do not) want to forget(?: (?:to|about))?{_E}",
    rf"{_B}(?:help me (?:to )?)?remember to{_E}",
    rf"{_B}(?:make|be) sure(?: to| that i| i| i'll| and){_E}",
    rf"{_B}note to (?:self|myself){_E}[\s,:.-]*",
    rf"{_B}(?:to[ -]?do|todo)(?: list)?(?: item)?(?:\s*[:,.-]\s*| item )",
))
# A list addition: the item is the to-do ("add mopping to my to-do list").
_LIST_ADDITION = re.compile(
    rf"{_B}(?:add|put|note|insert|write|stick|pop|throw|include) (?P<item>(?:[^\s,.;]+ ){{0,7}}?[^\s,.;]+) "
    r"(?:on|to|onto|in|into) "
    r"(?:my|the) (?:to[ -]?do|todo|chores?|list of (?:things )?to do|list of to[ -]?dos|things to do)"
    rf"(?: list)?{_E}")
# A reminder asked for after the thing itself: "I have a meeting with Sean on Wednesday, can you remind me".
_TRAILING_REQUEST = re.compile(
    rf"{_B}(?:(?:can|could|would|will) you |please |so )?remind me(?: about it| of that| of it| please| later)?"
    r"\s*[?.!]*\s*$")
# Obligations: "I need to", "I've got to", "I'll have to", with the speaker as subject.
_ADVERB = (r"(?:really|still|also|just|definitely|absolutely|seriously|probably|actually|urgently|first|totally|"
           r"honestly|kind of|kinda|desperately|badly|now|then|both|quickly|finally|so)")
_OBLIGATION = re.compile(
    rf"{_B}(?:i(?: {_ADVERB})* (?:need to|have to|have got to|got to|gotta|must|should|ought to|better|had better"
    rf"|will need to|will have to|am going to (?:need|have) to)"
    rf"|i'm(?: {_ADVERB})* (?:going to|gonna) (?:need|have) to"
    rf"|i'll(?: {_ADVERB})* (?:need|have) to|i've(?: {_ADVERB})* (?:got to|gotta)|i'd(?: {_ADVERB})* better){_E}")
_SUBJECTLESS = re.compile(rf"{_B}(?:need to|have to|gotta|got to|must){_E}")

# The word before a request says whether it is the speaker's: after these the request is someone else's
# ("did I tell you to remind me", "the hero must remember to", "I always remember to", "will you be sure to").
_EMBEDDING = frozenset("""
    you we they he she it people everyone everybody nobody somebody someone i to did does do will would can could
    should must might may shall always never usually often sometimes rarely supposed told asked
    """.split())
# …unless they are the speaker asking for the reminder ("can you remind me", "I need to remember to").
_ASKING = re.compile(r"(?:(?:can|could|would|will) you(?: please)?|i (?:want|need|would like|'d like) you to|please)$")
_SPEAKER_OBLIGED = re.compile(
    rf"(?:{_B}i(?: {_ADVERB})* (?:need|have|must|should|gotta|got|want|would like|'d like|ought)(?: to)?"
    rf"|{_B}i've got(?: to)?|{_B}i'll (?:need|have) to)$")
_REMINDER_KINDS = ("remind", "reminder", "tell me")
# A word just before "I" that puts the obligation in a question, a condition or a relative clause.
_NOT_BEFORE_SUBJECT = frozenset("""
    if when whenever whether what how why where who which that than as do does did should will would can could
    might unless until till once before after thing things question one all anything everything
    nothing only because like wish whatever time way reason place amount much many long often soon
    """.split())
_NEGATED_OR_PAST = re.compile(r"^(?:not|never|no longer|have been|'ve been|have (?:\w+ed|done|said|seen|had|gone|"
                              r"made|known|got|gotten|thought|told)\b)")
_NOT_A_VERB = frozenset("up by on in at for from with about out off to the a an my".split())
# Verbs of thinking, being and becoming: an obligation with one of these is an idea, not a to-do.
_ABSTRACT_VERBS = frozenset("""
    think rethink consider reconsider ponder reflect wonder figure understand know learn believe feel imagine
    accept admit say confess agree realize realise remember forget be become focus improve explore develop
    trust love hate like enjoy stop start keep try practice practise embrace care appreciate value respect
    question decide choose stay remain live grow chill relax calm rest sleep breathe slow solve master
    overcome rediscover reinvent reimagine re-think wrap digest process internalize protect nurture cherish
    prioritise prioritize simplify savor savour
    """.split())
# Verbs that are abstract only with some objects ("get better", "find a way", "make sense").
_ABSTRACT_PHRASES = re.compile(r"""^(?:
    get\s+(?:better|worse|used|over|more|less|real|serious|out\s+of\s+my|away|back\s+on\s+track|my\s+life|
         organi[sz]ed|a\s+grip|my\s+head|a\s+sense|a\s+feel|an?\s+idea|
         a\s+better|a\s+new\s+way|a\s+theory|back\s+into|into\s+the\s+habit|in\s+touch\s+with\s+my)
  | have\s+(?!the\s+\w+\s+(?:checked|fixed|serviced|cleaned|looked)|a\s+(?:word|look|chat)\b)
  | find\s+(?:a\s+way|a\s+better|a\s+new|the\s+courage|the\s+time|the\s+words|the\s+right|
          out\s+(?:why|what|whether|if|how)|meaning|
          peace|balance|something|myself|a\s+reason|my\s+own)
  | work\s+on\s+(?:my(?:self)?\s+(?:patience|attitude|mindset|confidence|self)|myself|being)
  | let\s+(?:go|it\s+go|ideas?\s+go|things\s+go|myself|it\s+be|(?:the|my|it|this|them|him|her)(?:\s+\w+)?\s+
          (?:breathe|be|go|grow|rest|sit|speak|happen|flow|unfold))
  | make\s+(?:peace|sense|time|space|a\s+decision|a\s+point|progress|a\s+difference|it\s+work|this\s+work|
          something\s+of|
          up\s+my\s+mind)
  | do\s+(?:better|more|less|something\s+(?:new|different|about)|it|that|this|the\s+work\s+on\s+myself)\b
  | look\s+(?:for\s+a|at\s+(?:the|this|it)\s+(?:problem|idea|question|differently)|into\s+(?:why|whether|how)|deeper|
          inward|back|forward)
  | tell\s+you\b | give\s+up\b | come\s+up\s+with
  | write\s+(?:a\s+(?:book|novel|story|song|poem|essay|theory)|about|more)
  | read\s+(?:more|up\s+on)
  | (?:read|watch|see|learn|try|listen\s+to)\s+(?:everything|anything|all\s+of)
  | (?:call|name)\s+(?:it|this|that)\b | turn\s+(?:it|this|that)\s+into
  | (?:write|get|jot|note)\s+(?:it|this|that)\s+down
  | finish\s+this\s+thought | (?:see|take)\s+the\s+(?:bigger|big|whole|long)\s+(?:picture|view)
  | look\s+at\s+(?:it|this|that)\b
  | (?:read|write|sleep|eat|exercise|listen|practi[cs]e|walk|travel|learn|think|care|smile|laugh|rest|relax|drink|save|
     spend|talk|work|play|go\s+out|get\s+out|meditate|stretch|move|cook|call\s+\w+|see\s+\w+)\s+(?:more|less|better)\b
)""", re.VERBOSE)
_ABSTRACT_OBJECTS = re.compile(
    r"\b(?:theory|theories|idea|ideas|concept|meaning|consciousness|philosophy|mindset|attitude|perspective|patience|"
    r"courage|purpose|truth)\b")
# Making something with a described object is a project, an idea: "build a robot that waters the plants".
_CREATION_VERBS = frozenset("build make create design invent write start launch open found develop compose".split())
_DESCRIBED = re.compile(r"\b(?:that|which|where|who|about|something|version|kind of|sort of|way to|better way)\b")
# Some day, more often, always: a wish or a habit, not a to-do.
_VAGUE_OR_HABIT = re.compile(
    r"\b(?:someday|some day|one day|one of these days|eventually|at some point|in my life|in the future|sometime|"
    r"more often|less often|in general|every (?:day|morning|night|week|month)|regularly|all the time|for a while|"
    r"more and more|always|never)\b")
# …unless what is made is an errand: "write a letter to the council about the potholes".
_TASK_NOUNS = frozenset("""
    letter email note card list cheque check complaint report appointment booking reservation copy call payment
    claim request form application invoice backup cake reminder
    """.split())
_REFLEXIVE_OK = frozenset("buy get order book treat".split())
_LEAVING = frozenset("go run leave sleep rest".split())
_LEADING_ADVERBS = re.compile(rf"^(?:(?:{_ADVERB}|go and|go ahead and|please),? )+")
# Nothing to do: "set a reminder for me", "remind me to do something".
_CONTENTLESS = frozenset("""
    something|do something|a task|finish a task|it|that|this|things|stuff|me|about something|about it|do it|do that|
    do this|that thing|a thing|an event|something for me|something later|set|set up|something else|anything
    """.replace("\n", "").split("|"))

# --- where a to-do ends ------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<!\ba\.m)(?<!\bp\.m)(?<!\be\.g)(?<!\bi\.e)(?<!\bmr)(?<!\bms)(?<!\bdr)(?<!\bst)(?<!\bvs)"
                           r"(?<!\bmrs)[.!?;]+,?(?=\s|$)|\n+")
_PRONOUN = (r"(?:i|i'm|i've|i'll|i'd|we|we're|we'll|we've|it|it's|that's|this|there|there's|he|she|he's|she's|they|"
            r"they're|you|you're|what|what's|who|who's|how|how's|why|where|where's|which|when|when's)")
_QUESTION_WORD = r"(?:what|what's|whats|when|when's|where|where's|who|who's|why|how|how's|which)"
_AUX = r"(?:is|are|do|does|did|can|could|would|will|should|has|have|am|was|were)"
_SUBJECT_AFTER_AUX = r"(?:i|you|my|the|there|it|we|your|this|that|they|he|she|a|an|any|anything)"
_NEW_THOUGHT = re.compile("|".join((
    # a connector and a new subject: ", and I…", "so it…", "but what…"
    rf",? (?:and|but|so|plus|anyway|anyways) (?:then |also |now )?(?={_PRONOUN}{_E})",
    # a comma and a new subject, a question or a command to an assistant
    rf", (?={_PRONOUN}{_E}|{_AUX}{_E}|(?:but|because|anyway|okay|ok|oh|also|actually|find|play|show|give|pull|turn|"
    rf"skip|erase|delete|remove|hey|google|alexa|please|let me|go ahead)(?![\w']))",
    r",? (?:and|so|but), ",  # a connector set off by commas
    # a connector without a subject that starts a new thought anyway
    rf" (?=(?:because|cause|'cause|so that|in case|which is|which means|otherwise|anyway|anyways|by the way|oh and"
    rf"|and also|okay so|ok so|so anyway|moving on|hey|google|alexa|olly){_E})",
    # what people say when a new thought starts
    rf" (?=(?:i think|i guess|i wonder|i feel|i mean|i was|i'm thinking|i am thinking|i've been|i had|i realized|"
    rf"i just realized|i need|i want|i wanna|i'd like|i would like|i don't|i can't|i love|i like|i'm|i am|"
    rf"it's|it is|there's|there is|that's|this is|we're|we should|we need|what if|maybe|"
    rf"can you|could you|will you|would you|tell me|show me|give me|find me|let me know|please){_E})",
    # a question starting: "…what is the", "…do I have", "…how long"
    rf" (?:so |and )?(?={_QUESTION_WORD} "
    rf"(?:{_AUX}|long|much|many|often|soon|far|kind|kinds|type|time|{_SUBJECT_AFTER_AUX}){_E})",
    rf"(?<!{_B}i)(?<!{_B}you)(?<!{_B}we)(?<!{_B}they)(?<!{_B}he)(?<!{_B}she)(?<!{_B}it) (?:so |and )?"
    rf"(?={_AUX} {_SUBJECT_AFTER_AUX}{_E})",
    # another subject with its verb: "…the chorus should come back", "…it should be possible"
    rf" (?:and |so )?(?=(?:it|this|that|there|he|she|they|we|you|(?:the|my|your|our|his|her|their) "
    rf"(?:(?!{_QUESTION_WORD}{_E})[a-z']+ ){{0,3}}?)(?:always |never |just )?"
    rf"(?:should|must|needs?|has to|have to|is|are|was|were|will|would|can't|won't|seems|looks|said|says|told|thinks|"
    rf"wants){_E})",
    rf" (?:and )?(?=(?:tell|show|give|find|let) me{_E})",
)))
_QUESTION = re.compile(rf"(?:so |and |but )?(?:{_QUESTION_WORD} {_AUX}|{_AUX} (?:i|you|we|they|it|he|she){_E})")
# Words after which a question word or a new subject is still part of the action ("ask if it's…").
_NO_CUT_AFTER = frozenset("""
    if whether that when what how why where because to about ask tell know out see check decide find wonder show
    explain remember forget learn sure
    """.split())

_LEADING_JUNK = re.compile(
    r"^(?:[\s,:;.\-]+|(?:to|that|about|for me to|me to|for me|please|also|just|really|definitely|so|and|then|"
    r"probably|actually|seriously|honestly|totally|absolutely|quickly|finally|first|"
    r"(?:that )?i (?:don't|do not|won't) forget(?: to| about)?|i remember to|go ahead and|i have|i've got|there's|"
    r"there is)(?![\w']))+")
_TRAILING_JUNK = re.compile(
    r"(?:[\s,:;.!?\-]+|(?<![\w'])(?:please|for me|okay|ok|thanks|thank you|if you can|if possible|right|alright|"
    r"later|as well|asap|at some point|sometime|soon|will you|can you|at the latest|then|so|and|but|on|by|for|"
    r"before|until|till|at|due)(?![\w']))+$")


@dataclass
class _Marker:
    start: int  # where the intention begins (the marker), compact offsets
    action_start: int  # where the action begins
    request: bool  # a request (taken at its word) or an obligation (its action is checked)
    kind: str = ""
    item_end: int | None = None  # a list addition: the item ends here…
    span_end: int | None = None  # …and the intention here
    before: tuple[int, int] | None = None  # a trailing request: the action is this earlier span


def find_todos(text: str, recorded_at: datetime) -> list[Todo]:
    """Every to-do the transcript states, in order, with its due day resolved against `recorded_at`."""
    if not text or not text.strip():
        return []
    compact = _compact(text)
    today = recorded_at.date()
    todos = []
    for start, end in _sentences(compact.text):
        for marker, action_end in _markers_in(compact.text, start, end):
            todo = _todo(compact, marker, action_end, start, today)
            if todo is not None:
                todos.append(todo)
    return todos


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, begin = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > begin:
            spans.append((begin, match.start()))
        begin = match.end()
    if begin < len(text):
        spans.append((begin, len(text)))
    return spans


def _remind_me(sentence: str) -> list[tuple[int, int]]:
    """ "remind me … to" with nothing or a day between ("remind me on the 21st to")."""
    found = []
    for match in _REMIND_ME.finditer(sentence):
        position = match.end()
        between = DATE.match(sentence, position + 1) if sentence[position:position + 1] in (" ", ",") else None
        if between:
            position = between.end()
        else:
            later = re.match(r",? (?:later|again|please|also)(?![\w'])", sentence[position:])
            position += later.end() if later else 0
        to = _REMIND_ME_TO.match(sentence, position)
        if to:
            found.append((match.start(), to.end()))
    return found


def _markers_in(text: str, start: int, end: int) -> list[tuple[_Marker, int]]:
    """The markers of one sentence (compact offsets), each with where its action ends."""
    sentence = text[start:end]
    candidates: list[_Marker] = [_Marker(start + a, start + b, True, "remind") for a, b in _remind_me(sentence)]
    kinds = ("reminder", "reminded", "tell me", "forget", "forget", "remember", "sure", "note", "todo")
    for kind, pattern in zip(kinds, _REQUESTS):
        candidates += [_Marker(start + m.start(), start + m.end(), True, kind) for m in pattern.finditer(sentence)]
    for match in _LIST_ADDITION.finditer(sentence):
        candidates.append(_Marker(start + match.start(), start + match.start("item"), True, "list",
                                  item_end=start + match.end("item"), span_end=start + match.end()))
    for match in _OBLIGATION.finditer(sentence):
        before = _words(sentence[:match.start()])
        after_comma = sentence[:match.start()].rstrip().endswith(",")
        clause = sentence[max((cut for _, cut in _cuts(sentence, 0) if cut <= match.start()), default=0):match.start()]
        if _QUESTION.match(" ".join(_words(clause)[-3:])):
            continue  # "do you think I should…", "when do you think I ought to…"
        if after_comma or not (before and before[-1] in _NOT_BEFORE_SUBJECT):
            candidates.append(_Marker(start + match.start(), start + match.end(), False, "obligation"))
    first_word = _words(sentence)[:1]
    for match in _SUBJECTLESS.finditer(sentence):
        before = _words(sentence[:match.start()])
        if before and before[-1] in ("and", "but", "so") and first_word in (["i"], ["i'm"], ["i've"]):
            # "I lost my card and need to report it": the sentence's subject is the speaker
            candidates.append(_Marker(start + match.start(), start + match.end(), False, "obligation"))
        elif not before or before[-1] in ("and", "so", "oh", "okay", "ok", "also", "then", "just", "really", "still",
                                          "please", "now", "well", "but", "yeah", "alright", "first"):
            candidates.append(_Marker(start + match.start(), start + match.end(), False, "subjectless"))
    trailing = _TRAILING_REQUEST.search(sentence)
    if trailing and not any(c.request and c.start >= start + trailing.start() for c in candidates):
        cuts = list(_cuts(sentence[:trailing.start()], 0))
        clause_start = start + (cuts[-1][1] if cuts else 0)
        candidates.append(_Marker(clause_start, start + trailing.start(), True, "trailing",
                                  before=(clause_start, start + trailing.start())))
    markers: list[_Marker] = []
    for marker in sorted(candidates, key=lambda m: (m.start, -(m.action_start - m.start))):
        if markers and marker.start < markers[-1].action_start:
            previous = markers[-1]
            if previous.before is not None and marker.before is None:
                markers[-1] = marker  # an explicit marker inside a trailing request's span wins
            elif marker.request and not previous.request:  # "I must not forget to": the request, from "I"
                marker.start = previous.start
                markers[-1] = marker
            continue
        stacked = bool(markers) and _only_glue(text[markers[-1].action_start:marker.start])
        if (marker.request and marker.kind != "trailing" and not stacked
                and _embedded(text[start:marker.start], text[marker.start:marker.action_start], marker)):
            continue
        markers.append(marker)
    found = []
    for index, marker in enumerate(markers):
        limit = markers[index + 1].start if index + 1 < len(markers) else end
        if marker.before is not None:
            found.append((marker, marker.before[1]))
        elif marker.item_end is not None:
            found.append((marker, marker.item_end))
        else:
            found.append((marker, _action_end(text, marker.action_start, limit)))
    return _merge_stacked(text, found)


def _embedded(prefix: str, said: str, marker: _Marker) -> bool:
    """Whether a request belongs to someone else, going by the words before it in its sentence."""
    after_comma = prefix.rstrip().endswith(",")
    prefix = prefix.rstrip(" ,")
    words = _words(prefix)
    if not words or after_comma and marker.kind not in ("list", "todo"):
        return False
    if marker.kind == "todo":  # "to do:" starts a clause; "things to do, …" does not
        return ":" not in said and not after_comma and words[-1] not in _CLAUSE_OPENERS
    if marker.kind == "note":  # "my note to self from last year"
        return words[-1] in ("my", "a", "the", "this", "that", "his", "her", "your", "our", "wrote", "left", "sent")
    if marker.kind == "forget" and words[-1] == "i" and not re.match(r"(?:don't|do not|dont|never)\b", said):
        return False  # "I mustn't forget to", "I can't forget to"
    if marker.kind in _REMINDER_KINDS and _ASKING.search(prefix):
        return False
    if _SPEAKER_OBLIGED.search(prefix):
        return False
    if marker.kind == "list":  # "did I put… on my to-do list", "have I told you to add…"
        clause = _words(prefix.rsplit(",", 1)[-1]) if not after_comma else []
        return bool(set(clause[-4:]) & (_EMBEDDING | {"have", "has", "is", "if", "whether"}))
    return words[-1] in _EMBEDDING


_CLAUSE_OPENERS = frozenset("""
    and so oh okay ok also then now well next first second another more thing alright right quick but anyway yeah
    """.split())
_GLUE = frozenset("a to me for please set that so i".split())


def _only_glue(between: str) -> bool:
    return set(_words(between)) <= _GLUE


def _merge_stacked(text: str, found: list[tuple[_Marker, int]]) -> list[tuple[_Marker, int]]:
    """A marker whose action is only the next marker ("note to self, I need to…", "don't forget to tell me to…")
    becomes part of it: the intention starts at the first, and a request stays a request."""
    merged: list[tuple[_Marker, int]] = []
    for marker, action_end in found:
        if merged and _only_glue(text[merged[-1][0].action_start:marker.start]):
            previous = merged[-1][0]
            merged[-1] = (_Marker(previous.start, marker.action_start, previous.request or marker.request,
                                  marker.kind, marker.item_end, marker.span_end, marker.before), action_end)
            continue
        merged.append((marker, action_end))
    return merged


def _action_end(text: str, action_start: int, limit: int) -> int:
    """Where the action that starts at `action_start` ends: the first new thought after its first word."""
    segment = text[action_start:limit]
    first_word = re.search(r"[\w']+", segment)
    if not first_word:
        return action_start
    for cut_start, _ in _cuts(segment, first_word.end()):
        return action_start + cut_start
    return limit


def _cuts(segment: str, start: int):
    """(start, end) of each place in `segment` where a new thought begins."""
    for match in _NEW_THOUGHT.finditer(segment, start):
        before = _words(segment[:match.start()])
        if not (before and before[-1] in _NO_CUT_AFTER):
            yield match.start(), match.end()


def _todo(compact: _Compact, marker: _Marker, action_end: int, sentence_start: int, today: date) -> Todo | None:
    text = compact.text
    action_start = marker.before[0] if marker.before else marker.action_start
    if not marker.request and not _is_concrete(text[marker.action_start:action_end]):
        return None
    if marker.kind in ("forget", "remember", "sure") and _is_advice(text[marker.action_start:action_end]):
        return None
    if marker.request and re.match(r"\s*(?:is|was|are|were|has|had|would|could)(?![\w'])", text[marker.action_start:]):
        return None  # "note to self is a strange phrase": the marker was a subject
    if not marker.request and text[action_end:action_end + 2].lstrip().startswith("?"):
        return None  # asked, not said
    # the day: in the intention, else said just before it ("by Friday, I have to…", "tomorrow I need to…")
    # (a day right after the cut still counts: "…charge the power bank on the 21st what is…")
    due, date_span = day_in(text, marker.start if not marker.before else action_start,
                             day_end(text, action_end), today)
    if due is None and not marker.before:
        due, date_span = day_just_before(text, sentence_start, marker.start, today)
    cleaned = _clean(compact, action_start, action_end, date_span)
    if cleaned is None:
        return None
    start = min(marker.start, date_span[0]) if date_span else marker.start
    end = max(action_end, marker.span_end or 0, date_span[1] if date_span else 0)
    while end > start and text[end - 1] in " ,":
        end -= 1
    return Todo(cleaned, due, *compact.span(start, end))


def _is_concrete(action: str) -> bool:
    """Whether an obligation's action is something one does and ticks off."""
    action = _LEADING_ADVERBS.sub("", action.strip(" ,"))
    if _NEGATED_OR_PAST.match(action) or _ABSTRACT_PHRASES.match(action):
        return False
    words = _words(action)
    verb = (words or [""])[0]
    if verb in _ABSTRACT_VERBS or verb in _NOT_A_VERB:
        return False
    if words == [verb] and verb in _LEAVING or "myself" in words[:6] and verb not in _REFLEXIVE_OK:
        return False  # "I have to go", "I should ask myself…"
    if (verb in _CREATION_VERBS and len(words) > 1 and words[1] in ("a", "an", "some", "something", "my")
            and _DESCRIBED.search(" ".join(words[:10])) and not _TASK_NOUNS.intersection(words[1:4])):
        return False
    if _VAGUE_OR_HABIT.search(action):
        return False
    return not _ABSTRACT_OBJECTS.search(" ".join(words[:6]))


def _is_advice(action: str) -> bool:
    """ "Don't forget to enjoy the process", "make sure to breathe": advice to anyone, not a to-do."""
    action = _LEADING_ADVERBS.sub("", action.strip(" ,"))
    return (_words(action) or [""])[0] in _ABSTRACT_VERBS or bool(_ABSTRACT_PHRASES.match(action))


def _clean(compact: _Compact, start: int, end: int, date_span: tuple[int, int] | None) -> str | None:
    """The action as a to-do line: the transcript's own words without fillers, the day, or leading and
    trailing glue; None when nothing is left to do."""
    words = "".join(" " if start + i in compact.soft_commas else c for i, c in enumerate(compact.cased[start:end]))
    if date_span and date_span[0] < end and date_span[1] > start:
        a, b = max(date_span[0], start) - start, min(date_span[1], end) - start
        words = words[:a] + " " + words[b:]
    words = re.sub(r"\s+", " ", words).strip()
    words = re.sub(r"\s+([,.;:!?])", r"\1", words)
    words = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", words)
    for _ in range(3):  # glue can nest: "to, please, about"
        leading = _LEADING_JUNK.match(_fold(words))
        if leading:
            words = words[leading.end():]
        trailing = _TRAILING_JUNK.search(_fold(words))
        if trailing:
            words = words[:trailing.start()]
    words = words.strip(" ,;:-")
    if not words or _fold(words) in _CONTENTLESS or not re.search(r"[a-zA-Z]{2}", words):
        return None
    return words[:1].upper() + words[1:]
