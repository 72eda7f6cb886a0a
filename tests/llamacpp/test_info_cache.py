"""Model summaries are cached by file identity and never trusted after the file changes."""

from __future__ import annotations

import os
import shutil

import pytest

pytest.importorskip("gguf")

from qframe_llamacpp.gguf_info import inspect_gguf  # noqa: E402
from qframe_llamacpp.info_cache import inspect_gguf_cached  # noqa: E402


def test_cached_summary_equals_a_fresh_inspection_and_follows_changes(tiny_model, tmp_path, monkeypatch):
    model = tmp_path / "model.gguf"
    shutil.copyfile(tiny_model, model)
    cache = tmp_path / "cache"
    fresh = inspect_gguf(model)
    first = inspect_gguf_cached(model, cache)
    assert len(list(cache.iterdir())) == 1

    import qframe_llamacpp.info_cache as info_cache

    monkeypatch.setattr(info_cache, "inspect_gguf", lambda path: pytest.fail("inspected again"))
    again = inspect_gguf_cached(model, cache)
    for name in info_cache.SUMMARY_FIELDS:
        assert getattr(again, name) == getattr(first, name) == getattr(fresh, name)
    monkeypatch.undo()

    with model.open("r+b") as handle:  # same size, new content and modification time
        handle.seek(-4, os.SEEK_END)
        handle.write(b"\x00\x01\x02\x03")
    os.utime(model, ns=(1, 1))
    changed = inspect_gguf_cached(model, cache)
    assert changed.sha256 != first.sha256


def test_the_weights_digest_is_cached_and_names_the_tensors_not_the_file(tiny_model, tiny_variant, tmp_path, monkeypatch):
    import asyncio

    from qframe.plugin_api.protocols import BackendSpec
    from qframe_llamacpp.backend import LlamaCppBackend
    from qframe_llamacpp.gguf_info import weights_sha256

    monkeypatch.setenv("QFRAME_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "copy.gguf"
    shutil.copyfile(tiny_variant("Q8_0"), copy)

    def digest(path) -> str:
        return asyncio.run(LlamaCppBackend(BackendSpec("llamacpp", str(path))).weights_digest())

    expected = weights_sha256(copy)
    assert digest(copy) == digest(tiny_variant("Q8_0")) == expected
    assert digest(tiny_variant("Q2_K")) != expected
    import qframe_llamacpp.info_cache as info_cache

    monkeypatch.setattr(info_cache, "weights_sha256", lambda path: pytest.fail("hashed again"))
    assert digest(copy) == expected  # read back from the cache
