"""Articles into sentence-bounded, overlapping chunks that fit the embedding model's 256-token window."""
from newsdesk.rag.embed import MAX_TOKENS, splits_words_apart
from newsdesk.rag.text import sentences
from newsdesk.rag.types import Article, Chunk

# Sizes are in word pieces of the model's own tokenizer. `python -m newsdesk.benchmarks.chunk_sizes` ranks the
# seed article's chunks for its 35 answerable questions (tests/data/seed_qa.jsonl); on 2026-11-25:
#   target   64: hit@1 0.74 hit@3 0.83 | 96: 0.83 0.94 | 128: 0.77 0.91 | 160: 0.80 0.94 | 200: 0.80 0.94 | 230: 0.86 0.91
# 96, 160 and 200 tie at hit@3; 160 (about 700 characters, the size that worked on 10k Wikipedia
# paragraphs in FACTS.md) gives the answerer more context per hit and embeds fewer title repeats than 96.
CHUNK_TARGET = 160
OVERLAP = 40  # up to this many pieces of whole sentences repeat at the start of the next chunk
TITLE_MAX = 48  # longer titles are cut in the embedded text so the passage keeps its room
SPECIAL = 2  # [CLS] and [SEP]

def _pieces(text: str, span: tuple[int, int], tokenizer, limit: int) -> list[tuple[int, int, list[int]]]:
    """A too-long sentence cut at word starts into pieces of at most `limit` tokens: (start, end, word pieces)."""
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
        pieces.append((s0 + offsets[first][0], s0 + end, ids[first:last]))
        first = last
    return pieces


def chunk(article: Article, tokenizer, target: int = CHUNK_TARGET, overlap: int = OVERLAP) -> list[Chunk]:
    text = article.text
    title_ids = tokenizer(article.title, add_special_tokens=False)["input_ids"][:TITLE_MAX]
    title = article.title
    if len(title_ids) == TITLE_MAX:
        title = tokenizer.decode(title_ids)
        title_ids = tokenizer(title, add_special_tokens=False)["input_ids"]  # what the decoded title reads as
    room = MAX_TOKENS - SPECIAL - len(title_ids)
    target = min(target, room)
    # The model's word pieces of the embedded text, when they are the title's and the sentences' one after another.
    known = splits_words_apart(tokenizer)

    spans = sentences(text)
    ids = tokenizer([text[s:e] for s, e in spans], add_special_tokens=False)["input_ids"] if spans else []
    units: list[tuple[int, int, list[int]]] = []
    for span, pieces in zip(spans, ids):
        units.extend(_pieces(text, span, tokenizer, target) if len(pieces) > target else [(span[0], span[1], pieces)])

    chunks, i = [], 0
    while i < len(units):
        j, size = i, 0
        while j < len(units) and (j == i or size + len(units[j][2]) <= target):
            size += len(units[j][2])
            j += 1
        start, end = units[i][0], units[j - 1][1]
        pieces = title_ids + [t for u in units[i:j] for t in u[2]] if known else None
        chunks.append(Chunk(article=article, index=len(chunks), start=start, end=end, embed_text=f"{title}\n\n{text[start:end]}", ids=pieces))
        if j == len(units):
            break
        # Repeat trailing sentences that fit the overlap (at least one of up to half a chunk), but always move forward.
        back, k = 0, j
        while k - 1 > i and (back + len(units[k - 1][2]) <= overlap or (k == j and len(units[k - 1][2]) <= target // 2)):
            k -= 1
            back += len(units[k][2])
        i = k
    return chunks
