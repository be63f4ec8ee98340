"""Follow-up questions without a language model: when a question leans on the conversation, the words of the
turn before it help find and quote the answer (weighted lower than the question's own words).

With an LLM, the question is rewritten into a standalone one instead (rag.answer); this is the offline path.
"""

from __future__ import annotations

import re

from rag.extractive import own_terms

# "it", "its", "this trial", "he", "there" … point back; "that"/"those" only after a preposition ("in that
# trial", "about those"), since "the river that flows…" is a relative clause, not a reference.
_REFERS = re.compile(
    r"\b(it|its|itself|this|these|he|him|his|she|her|hers|they|them|their|theirs|there)\b"
    r"|\b(in|of|for|about|from|at|on|by|with|during|under|to|after|before) (that|those)\b",
    re.I,
)
# "And in Colombia?", "What about 2019?", "How about the control group?"
_CONTINUES = re.compile(r"^\s*(and|but|or|also|so|what about|how about)\b", re.I)
FEW_OWN_TERMS = 1  # a leaning question with at most this many content words ("Who wrote it?") searches with the
# earlier words at full weight: it has too little of its own to be weighed against them


def leans_on_history(question: str) -> bool:
    """Whether `question` needs the conversation to be understood: it refers back ("it", "there", "in that
    trial"), continues the last question ("And in Colombia?") or has no content word at all ("Why?")."""
    return bool(_REFERS.search(question) or _CONTINUES.match(question) or not own_terms(question))


def follow_up_search(question: str, earlier: str) -> tuple[str, str]:
    """(query, context) to search and quote with, given `earlier` (what the turn before searched for): the question
    alone when it stands on its own; with the earlier words as a lower-weighted context when it leans on them; and
    with the earlier words as part of the query when it has almost no words of its own ("Who wrote it?")."""
    if not earlier or not leans_on_history(question):
        return question, ""
    if len(own_terms(question)) <= FEW_OWN_TERMS:
        return f"{question} {earlier}", ""
    return question, earlier
