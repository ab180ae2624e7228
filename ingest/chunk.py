"""Articles into sentence-bounded, overlapping chunks that fit the embedding model's 256-token window."""
from rag.embed import MAX_TOKENS
from rag.text import sentences
from rag.types import Article, Chunk

# Sizes are in word pieces of the model's own tokenizer. `python -m benchmarks.chunk_sizes` ranks the
# seed article's chunks for its 35 answerable questions (tests/data/seed_qa.jsonl); on 2026-11-25:
#   target   64: hit@1 0.74 hit@3 0.83 | 96: 0.83 0.94 | 128: 0.77 0.91 | 160: 0.80 0.94 | 200: 0.80 0.94 | 230: 0.86 0.91
# 96, 160 and 200 tie at hit@3; 160 (about 700 characters, the size that worked on 10k Wikipedia
# paragraphs in FACTS.md) gives the answerer more context per hit and embeds fewer title repeats than 96.
CHUNK_TARGET = 160
OVERLAP = 40  # up to this many pieces of whole sentences repeat at the start of the next chunk
TITLE_MAX = 48  # longer titles are cut in the embedded text so the passage keeps its room
SPECIAL = 2  # [CLS] and [SEP]

def _pieces(text: str, span: tuple[int, int], tokenizer, limit: int) -> list[tuple[int, int, int]]:
    """A too-long sentence cut at word starts into pieces of at most `limit` tokens: (start, end, tokens)."""
    s0, _ = span
    enc = tokenizer(text[span[0]:span[1]], add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    pieces, first = [], 0
    while first < len(ids):
        last = min(first + limit, len(ids))
        if last < len(ids):
            # Step back to a token that starts a word, so no word is split between two pieces.
            cut = last
            while cut > first + 1 and tokenizer.convert_ids_to_tokens(ids[cut]).startswith("##"):
                cut -= 1
            last = cut
        end = offsets[last][0] if last < len(ids) else span[1] - s0
        pieces.append((s0 + offsets[first][0], s0 + end, last - first))
        first = last
    return pieces


def chunk(article: Article, tokenizer, target: int = CHUNK_TARGET, overlap: int = OVERLAP) -> list[Chunk]:
    text = article.text
    title_ids = tokenizer(article.title, add_special_tokens=False)["input_ids"][:TITLE_MAX]
    title = tokenizer.decode(title_ids) if len(title_ids) == TITLE_MAX else article.title
    room = MAX_TOKENS - SPECIAL - len(title_ids)
    target = min(target, room)

    spans = sentences(text)
    counts = [len(ids) for ids in tokenizer([text[s:e] for s, e in spans], add_special_tokens=False)["input_ids"]] if spans else []
    units: list[tuple[int, int, int]] = []
    for span, n in zip(spans, counts):
        units.extend(_pieces(text, span, tokenizer, target) if n > target else [(span[0], span[1], n)])

    chunks, i = [], 0
    while i < len(units):
        j, size = i, 0
        while j < len(units) and (j == i or size + units[j][2] <= target):
            size += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        chunks.append(Chunk(article=article, index=len(chunks), start=start, end=end, embed_text=f"{title}\n\n{text[start:end]}"))
        if j == len(units):
            break
        # Repeat trailing sentences that fit the overlap (at least one of up to half a chunk), but always move forward.
        back, k = 0, j
        while k - 1 > i and (back + units[k - 1][2] <= overlap or (k == j and units[k - 1][2] <= target // 2)):
            k -= 1
            back += units[k][2]
        i = k
    return chunks
