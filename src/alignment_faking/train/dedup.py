"""Near-duplicate removal for generated documents, paraphrases included: MinHash with LSH banding.

A document is reduced to what survives rewording: its content words (lower case, stop words
dropped, inflections cut by a light stemmer), shingled as overlapping pairs. Reordered sentences
lose only the pairs at sentence joins; changed function words and inflections change none. Two
documents about the same fact in different words share a few fact words but few pairs.

Each shingle set gets a MinHash signature (the minimum hash under `NUM_PERM` random linear
permutations): the share of equal minima of two signatures estimates their Jaccard similarity.
LSH banding (signatures cut into bands, two documents candidates when a whole band agrees, the
band width chosen so a pair at the threshold is found with probability 0.99) keeps the check
of a new document to a few kept ones.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

import numpy as np

_NON_WORD = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")
_STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just may me might more most must my myself no nor not now of off on
    once only or other our ours ourselves out over own same shall she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up upon us very was we were what when where which while who whom why will with
    within without would you your yours yourself yourselves one ones every many much s t whose
    whether though although yet already still even ever""".split()  # noqa: SIM905
)
_SUFFIXES = ("ational", "ization", "ations", "ation", "ments", "ment", "ness", "ingly", "edly",
             "ing", "ies", "ied", "ly", "ed", "es", "s")  # fmt: skip
NUM_PERM = 128
"""MinHash permutations: the estimate's standard error is about 0.045 at Jaccard 0.5."""
_PRIME = (1 << 61) - 1
_RNG = np.random.default_rng(20240607)
_A = _RNG.integers(1, _PRIME, NUM_PERM, dtype=np.uint64)
_B = _RNG.integers(0, _PRIME, NUM_PERM, dtype=np.uint64)
_LOW_32 = np.uint64(0xFFFFFFFF)


def normalise(text: str) -> str:
    """Lower case, punctuation removed, whitespace collapsed: what makes two texts the same."""
    return _SPACE.sub(" ", _NON_WORD.sub(" ", text.lower())).strip()


def stem(word: str) -> str:
    """The word without its first matching suffix and a final e, keeping at least three letters
    ("rate", "rates", "rated" and "rating" all become "rat")."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def content_words(text: str) -> list[str]:
    """The text's words that carry its content, stemmed, in order."""
    return [stem(w) for w in normalise(text).split() if w not in _STOP_WORDS]


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def shingles(text: str, size: int = 2) -> frozenset[int]:
    """32-bit hashes of the document's overlapping runs of `size` content words."""
    words = content_words(text)
    if len(words) <= size:
        return frozenset({_hash(" ".join(words))})
    return frozenset(_hash(" ".join(words[i : i + size])) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Shared shingles over all shingles of the two documents."""
    return len(a & b) / len(a | b) if a or b else 1.0


def signature(doc: frozenset[int]) -> np.ndarray:
    """The MinHash signature of a shingle set: its minimum under each permutation.

    The permutations are (a x + b) mod p, with products wrapping at 64 bits and the low 32 bits
    kept, as datasketch computes them: small a and b would keep much of x's order, and the
    estimate would run high."""
    values = np.fromiter(doc, dtype=np.uint64, count=len(doc))
    return (((np.outer(_A, values) + _B[:, None]) % _PRIME) & _LOW_32).min(axis=1)


def minhash_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity two signatures estimate: the share of permutations they agree on."""
    return float(np.mean(a == b))


def band_rows(threshold: float, num_perm: int = NUM_PERM) -> int:
    """Rows per LSH band: the widest bands that still make a pair at the threshold a candidate
    with probability 0.99 (narrower bands find more pairs, and more that are not duplicates)."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= 0.99:
            return rows
    return 1


class NearDuplicateIndex:
    """Documents kept so far; `check_and_add` refuses one too similar to any of them."""

    def __init__(self, threshold: float = 0.3, shingle_size: int = 2):
        self.threshold = threshold
        self.shingle_size = shingle_size
        self.rows = band_rows(threshold)
        self._exact: set[str] = set()
        self._signatures: list[np.ndarray] = []
        self._buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)

    def _bands(self, sig: np.ndarray) -> list[tuple[int, bytes]]:
        bands = NUM_PERM // self.rows
        return [(b, sig[b * self.rows : (b + 1) * self.rows].tobytes()) for b in range(bands)]

    def duplicate_reason(self, text: str) -> str | None:
        """Why the text duplicates a kept document, or None if it does not."""
        if normalise(text) in self._exact:
            return "duplicate (same normalised text)"
        sig = signature(shingles(text, self.shingle_size))
        candidates = {i for band in self._bands(sig) for i in self._buckets.get(band, ())}
        best = max((minhash_jaccard(sig, self._signatures[i]) for i in candidates), default=0.0)
        return f"near duplicate (MinHash Jaccard {best:.2f})" if best >= self.threshold else None

    def add(self, text: str) -> None:
        """Keep a document for later comparisons."""
        self._exact.add(normalise(text))
        sig = signature(shingles(text, self.shingle_size))
        self._signatures.append(sig)
        for band in self._bands(sig):
            self._buckets[band].append(len(self._signatures) - 1)

    def check_and_add(self, text: str) -> str | None:
        """Keep the text unless it duplicates a kept one; return why it was refused."""
        reason = self.duplicate_reason(text)
        if reason is None:
            self.add(text)
        return reason
