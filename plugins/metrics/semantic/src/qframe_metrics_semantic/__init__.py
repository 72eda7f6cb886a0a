"""Semantic similarity of an output to its reference, from embedding models found locally.

``bertscore`` (token embeddings, greedy matching) and ``coherence`` (SemScore: cosine of sentence
embeddings). ``models`` decides which model each uses and loads nothing from the network;
``pairs`` selects the items that have a reference.
"""
