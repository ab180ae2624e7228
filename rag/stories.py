"""Stories: one text under several headlines (wire copy run by many outlets, a rewrite, a trimmed or lightly
edited version) is one story. Articles are compared by word shingles: MinHash signatures banded for
locality-sensitive hashing find candidates through an index in the manifest (so the cost per article does not grow
with the collection), and the exact shingle overlap of each candidate decides."""
import hashlib
import re
from functools import lru_cache

import numpy as np

from .types import Fingerprint

# Chosen with benchmarks/stories.py on 2,580 seeded copies of 172 real articles (headline, byline, boilerplate, cuts,
# added paragraphs, 2-20 % word edits) and 900 distinct pairs on one topic: 4-word shingles in 32 bands of 4 with
# 0.6 gave precision 1.000, recall 0.897 (no half-trimmed or 20 %-edited copy shared a band); 3-word shingles in 42
# bands of 3 with 0.5 give precision 0.9996, recall 0.990, at about 2 candidates read per article at 100k stored.
SHINGLE = 3  # words per shingle
NUM_PERM = 128
BANDS, ROWS = 42, 3
SAME_STORY = 0.5  # share of the shorter text's shingles the longer one holds
FORMAT = f"{SHINGLE}-{BANDS}x{ROWS}"  # stored band keys from other constants are recomputed (ingest.pipeline)
MIN_SHINGLES = 30  # shorter texts (a caption, a one-line brief) never join a story: too little to tell
MAX_CANDIDATES = 20  # candidates verified per article, those sharing the most bands first


def shingles(text: str) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


@lru_cache(maxsize=1)
def _minhash():
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=1)


def fingerprint(text: str) -> Fingerprint:
    from datasketch import MinHash

    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return Fingerprint(found, [])
    # The seed's permutations made once: drawing them again for each article cost more than hashing its shingles.
    minhash = MinHash(num_perm=NUM_PERM, permutations=_minhash().permutations, scheme=_minhash().scheme)
    minhash.update_batch([s.encode("utf-8") for s in found])
    values = np.asarray(minhash.hashvalues, dtype=np.uint64)
    keys = [int.from_bytes(hashlib.blake2b(bytes([b]) + values[b * ROWS:(b + 1) * ROWS].tobytes(), digest_size=8).digest(),
                           "big", signed=True) for b in range(BANDS)]
    return Fingerprint(found, keys)


def overlap(a: set[str], b: set[str]) -> float:
    """The share of the smaller set that the larger holds: a trimmed copy of a text scores as high as the text."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small)


def same_story(a: set[str], b: set[str], threshold: float = SAME_STORY) -> bool:
    return min(len(a), len(b)) >= MIN_SHINGLES and overlap(a, b) >= threshold


def place(found: Fingerprint, article_id: str, manifest) -> tuple[str, list[int]]:
    """(story id, band keys) for an article about to be committed, by its fingerprint: the story of the first stored
    candidate that holds the same text, else a story of its own (named by the article's id)."""
    for other in manifest.story_candidates(found.keys, MAX_CANDIDATES + 1):
        if other == article_id:
            continue
        row = manifest.get(other)
        if row is not None and same_story(found.shingles, shingles(row["text"])):
            return manifest.story_of(other) or other, found.keys
    return article_id, found.keys


def earliest_first(date: str, length: int, article_id: str) -> tuple:
    """Sort key of a story's articles: earliest dated first (undated last), the longest (most complete) of a day first.
    The first is the story's representative."""
    return date or "9999", -length, article_id


def story_list(manifest, single: bool = False) -> list[dict]:
    """The stories, largest and then most recent first; each with its representative (the earliest dated article,
    the longest of those: the most complete), outlets and dates. Stories of one article only with single."""
    groups: dict[str, list] = {}
    for r in manifest.story_rows():
        groups.setdefault(r["story_id"], []).append(r)
    out = []
    for story_id, rows in groups.items():
        if len(rows) < 2 and not single:
            continue
        rows.sort(key=lambda r: earliest_first(r["date"], r["length"], r["article_id"]))
        dates = [r["date"][:10] for r in rows if r["date"]]
        out.append({"story": story_id, "title": rows[0]["title"], "size": len(rows),
                    "outlets": list(dict.fromkeys(r["outlet"] or "unnamed outlet" for r in rows)),
                    "first": min(dates, default=""), "last": max(dates, default=""),
                    "articles": [{k: r[k] for k in ("article_id", "title", "outlet", "date", "url")} for r in rows]})
    out.sort(key=lambda s: s["last"], reverse=True)
    out.sort(key=lambda s: s["size"], reverse=True)
    return out


def story_count(manifest) -> tuple[int, int]:
    """(stories, stories of more than one article)."""
    sizes: dict[str, int] = {}
    for r in manifest.story_rows():
        sizes[r["story_id"]] = sizes.get(r["story_id"], 0) + 1
    return len(sizes), sum(n > 1 for n in sizes.values())
