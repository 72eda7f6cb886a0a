"""Statistics that turn per-item outcomes of a baseline and its variants into paired comparisons."""
