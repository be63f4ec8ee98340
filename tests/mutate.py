"""A seeded PDF mutator for the fuzz test: bit flips, truncation, splicing and duplication of objects."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b.*?endobj", re.S)


def mutants(seeds: list[Path], count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """`count` (name, bytes) mutants of the `seeds` files; the same `seed` gives the same mutants."""
    rng = random.Random(seed)
    originals = [(path.stem, path.read_bytes()) for path in seeds]
    kinds = [_flip_bits, _truncate, _splice, _duplicate_object, _swap_object]
    for number in range(count):
        stem, data = rng.choice(originals)
        kind = rng.choice(kinds)
        yield f"{number:03d}-{kind.__name__.strip('_')}-{stem}.pdf", kind(rng, data, originals)


def _flip_bits(rng: random.Random, data: bytes, _originals) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 24)):
        position = rng.randrange(len(out))
        out[position] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(rng: random.Random, data: bytes, _originals) -> bytes:
    return data[: rng.randint(len(data) // 10, len(data) - 1)]


def _splice(rng: random.Random, data: bytes, originals) -> bytes:
    _, other = rng.choice(originals)
    start = rng.randrange(len(other))
    piece = other[start : start + rng.randint(1, 4096)]
    at = rng.randrange(len(data))
    return data[:at] + piece + data[at + rng.randint(0, 256) :]


def _objects(data: bytes) -> list[re.Match]:
    return list(_OBJECT.finditer(data)) or [re.match(rb"", data)]


def _duplicate_object(rng: random.Random, data: bytes, _originals) -> bytes:
    """An object's text copied again elsewhere in the file (same number twice: which one wins?)."""
    found = rng.choice(_objects(data))
    at = rng.randrange(len(data))
    return data[:at] + b"\n" + found.group(0) + b"\n" + data[at:]


def _swap_object(rng: random.Random, data: bytes, originals) -> bytes:
    """One object's body replaced by an object body from another file (keeping the number)."""
    target = rng.choice(_objects(data))
    _, other = rng.choice(originals)
    donor = rng.choice(_objects(other)).group(0)
    header = re.match(rb"\d+\s+\d+\s+obj", target.group(0))
    body = re.sub(rb"^\d+\s+\d+\s+obj", b"", donor)
    return data[: target.start()] + (header.group(0) if header else b"") + body + data[target.end() :]
