"""A theme may hold only ideas (a topic said only inside long recordings): it is counted, kept when no memo is in
it, follows a merge and comes back with an undo; a memo of one idea never holds a theme by its stored idea."""
from __future__ import annotations

import numpy as np
import pytest

from storage import ideas as stored
from storage import themes as org
from storage import trash
from storage import undo
from storage.db import open_database
from tests.storage.test_db import add


@pytest.fixture
def library(tmp_path):
    """Two themes; memo `walk` in "Flights" with its second idea in "Recipes", where no memo is."""
    db = open_database(tmp_path)
    flights, recipes = org.create_theme(db, "Flights"), org.create_theme(db, "Recipes")
    walk, short = add(db, 1, "flights then a recipe"), add(db, 2, "a flight")
    org.place_memo(db, walk, flights)
    org.place_memo(db, short, flights)
    vector = np.ones(4, np.float32).tobytes()
    stored.replace_for_memo(db, walk, "s1", [stored.NewIdea(0, 30, "Flights", theme_id=flights, vector=vector),
                                             stored.NewIdea(30, 60, "Pizza dough", theme_id=recipes, vector=vector)])
    stored.replace_for_memo(db, short, "s2", [stored.NewIdea(0, 3, "A flight", theme_id=recipes)])  # stale
    return db, walk, short, flights, recipes


def counts(db) -> dict[str, int]:
    return {t.name: t.count for t in org.list_themes(db)}


def test_a_theme_of_ideas_only_is_counted_and_kept(library):
    db, walk, short, flights, recipes = library
    org.delete_empty_themes(db)
    assert counts(db) == {"Flights": 2, "Recipes": 1}  # the walk, by its idea; not the short memo's stale one
    trash.move_to_trash(db, [walk])  # in the trash: its ideas hold nothing
    org.delete_empty_themes(db)
    assert "Recipes" not in counts(db)


def test_ideas_follow_a_merge_and_an_undo_brings_them_back(library):
    db, walk, short, flights, recipes = library
    other = org.create_theme(db, "Cooking")
    org.place_memo(db, add(db, 3, "cooking"), other)
    before = undo.take(db)
    org.merge_themes(db, recipes, other)
    assert [i.theme_id for i in stored.ideas_of(db, walk)] == [flights, other]
    assert counts(db) == {"Flights": 2, "Cooking": 2}
    undo.restore(db, before)
    assert [i.theme_id for i in stored.ideas_of(db, walk)] == [flights, recipes]
    assert counts(db) == {"Flights": 2, "Recipes": 1, "Cooking": 1}
