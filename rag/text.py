"""Sentences: the unit of chunking, of extractive answers and of citation checks."""
import re

ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "u.s", "u.k", "inc", "ltd",
                 "co", "corp", "no", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"}
# A sentence ends at . ! ? … (plus closing quotes or brackets) before whitespace, at CJK end punctuation, or at a newline.
BOUNDARY = re.compile(r"""([.!?…]+["'”’)\]]*)(?=\s)|([。！？]+[”’」』）]*)|(\n)""")


def sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of text, whitespace trimmed."""
    spans, start = [], 0
    for m in BOUNDARY.finditer(text):
        if m.group(1):
            word = text[:m.start()].rsplit(None, 1)[-1].lower() if text[:m.start()].strip() else ""
            # "Dr. Li" or "J. Smith" do not end a sentence.
            if m.group(1) == "." and (word.strip("(\"'“") in ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
                continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed
