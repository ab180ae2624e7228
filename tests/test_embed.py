"""The embedding model: the split tokenise/encode path gives sentence-transformers' own vectors; device settings."""
import numpy as np
import pytest

from newsdesk.rag.embed import Embedder, resolve_device, resolve_precision
from newsdesk.rag.errors import NewsdeskError
from newsdesk.rag.settings import Settings

TEXTS = ["A short one.", "Officials in the harbour town counted 412 cases on Monday, up from 380 a week earlier. " * 3,
         "The council approved the budget.", "", "Storm warnings were lifted overnight as the front moved east."]


def test_prepare_then_encode_gives_the_vectors_encode_gives(embedder):
    """Compared at one precision: sentence-transformers' encode runs in fp32, so the exact check uses an fp32
    Embedder; the product's own precision (bf16 autocast on CPUs with AVX512-BF16 or AMX) is checked by cosine."""
    theirs = embedder.model.encode(TEXTS, batch_size=2, normalize_embeddings=True, convert_to_numpy=True).astype("float32")
    exact = Embedder(Settings(batch_size=2, precision="fp32"))
    exact.__dict__["model"] = embedder.model  # the same weights, batched as the settings say
    assert exact.precision == "fp32"
    assert np.array_equal(exact.encode(exact.prepare(TEXTS)), theirs)
    ours = embedder.encode(embedder.prepare(TEXTS))
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > (0.999 if embedder.precision == "bf16" else 0.99999), (embedder.precision, cosines)
    assert embedder.embed([]) == [] and len(embedder.embed(TEXTS[:1])[0]) == 384


def test_device_and_precision_rules():
    assert resolve_device("cpu") == "cpu" and resolve_device("cuda") == "cuda"
    assert resolve_precision("auto", "cuda") == "fp16" and resolve_precision("fp32", "cuda") == "fp32"
    assert resolve_precision("auto", "cpu") in ("bf16", "fp32") and resolve_precision("fp32") == "fp32"
    assert Embedder(Settings(device="cpu")).batch_size == 64 and Embedder(Settings(device="cuda")).batch_size == 1024


def test_cuda_without_a_gpu_fails_in_one_line():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert resolve_device("auto") == "cpu"
    with pytest.raises(NewsdeskError, match="NEWSDESK_DEVICE=cuda"):
        Embedder(Settings(device="cuda")).model


def test_the_word_pieces_chunking_found_are_what_the_tokenizer_gives_the_encoder(embedder):
    """Ingest batches the pieces chunking counted instead of tokenising each chunk again: the encoder's input must be
    the same, tensor for tensor, for any text."""
    import torch
    from conftest import CORPUS

    from newsdesk.ingest.chunk import chunk
    from newsdesk.rag.types import Article

    seed = next(p for p in sorted(CORPUS.rglob("*")) if p.is_file()).read_text(encoding="utf-8")
    odd = ("Café naïve résumé, U.S. Dr. Li said. 北京是中国的首都。它很大！Zero\u200bwidth,no space;and\x00control chars.\n"
           "A list:\n- one\n- two " + "supercalifragilistic" * 8 + " " + "word, " * 400 + "end")
    articles = [Article(text=seed, identity="seed", source="seed", title="The video race " * 30),  # title cut and decoded
                Article(text=odd, identity="odd", source="odd", title=""), Article(text=TEXTS[1], identity="t", source="t", title="Tally")]
    chunks = [c for a in articles for c in chunk(a, embedder.tokenizer)]
    assert len(chunks) > 10 and all(c.ids for c in chunks)
    texts = [c.embed_text for c in chunks]
    small = Embedder(Settings(batch_size=4))
    small.__dict__["model"] = embedder.model
    tokenised, batched = small.prepare(texts), small.prepare(texts, [c.ids for c in chunks])
    assert len(tokenised.features) == len(batched.features) > 3
    for a, b in zip(tokenised.features, batched.features):
        assert a.keys() == b.keys()
        for k in a:
            assert torch.equal(a[k], b[k]) if hasattr(a[k], "shape") else a[k] == b[k]
    assert np.array_equal(small.encode(tokenised), small.encode(batched))
