"""The embedding model: the split tokenise/encode path gives sentence-transformers' own vectors; device settings."""
import numpy as np
import pytest

from rag.embed import Embedder, resolve_device, resolve_precision
from rag.errors import NewsdeskError
from rag.settings import Settings

TEXTS = ["A short one.", "Officials in the harbour town counted 412 cases on Monday, up from 380 a week earlier. " * 3,
         "The council approved the budget.", "", "Storm warnings were lifted overnight as the front moved east."]


def test_prepare_then_encode_gives_the_vectors_encode_gives(embedder):
    ours = embedder.encode(embedder.prepare(TEXTS))
    theirs = embedder.model.encode(TEXTS, batch_size=2, normalize_embeddings=True, convert_to_numpy=True)
    small = Embedder(Settings(batch_size=2))
    small.__dict__["model"] = embedder.model  # the same weights, batched as the settings say
    assert np.array_equal(small.encode(small.prepare(TEXTS)), theirs.astype("float32"))
    assert np.allclose(ours, theirs, atol=1e-5)
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
