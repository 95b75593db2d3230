"""Identifiers: run ids are 32-character hex UUIDs, as in MLflow."""

from __future__ import annotations

import random
import uuid

_ADJECTIVES = (
    "amber",
    "bold",
    "brave",
    "calm",
    "clever",
    "crisp",
    "eager",
    "fancy",
    "gentle",
    "glad",
    "honest",
    "jolly",
    "keen",
    "lively",
    "lucky",
    "merry",
    "nimble",
    "polite",
    "proud",
    "quick",
    "quiet",
    "rare",
    "shy",
    "silver",
    "sly",
    "smart",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "warm",
    "wise",
)
_NOUNS = (
    "ant",
    "bass",
    "bear",
    "cat",
    "crab",
    "crow",
    "deer",
    "dove",
    "duck",
    "eel",
    "elk",
    "fox",
    "frog",
    "goat",
    "hare",
    "hawk",
    "lark",
    "lynx",
    "mole",
    "moth",
    "newt",
    "owl",
    "ox",
    "panda",
    "ram",
    "seal",
    "slug",
    "swan",
    "toad",
    "wasp",
    "wolf",
    "yak",
)


def new_run_id() -> str:
    return uuid.uuid4().hex


def random_run_name() -> str:
    """A short memorable name such as ``swift-owl-42`` for runs the user did not name."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(1, 999)}"
