"""What the memos mean: embeddings, themes, titles, related ideas, ranking.

Pure and Qt-free: texts and vectors in, labels and rankings out. Never imports app,
audio or storage.
"""
import privacy  # noqa: F401  first: keeps the embedding libraries quiet, also in the spawned child
