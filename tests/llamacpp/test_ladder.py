"""build_ladder: rungs read back from disk, reuse by hash, F16 expansion of quantized sources, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp")

from qframe_llamacpp.gguf_info import file_sha256
from qframe_llamacpp.ladder import LadderEntry, build_ladder
from qframe_llamacpp.tiny_model import write_tiny_llama

QUANTS = ["Q8_0", "Q4_K_M", "Q2_K"]


def _build(source: Path, out_dir: Path, quants: list[str] = QUANTS) -> tuple[list[LadderEntry], list[str]]:
    messages: list[str] = []
    return build_ladder(source, quants, out_dir, log=messages.append), messages


def test_unquantized_source_is_the_baseline(tiny_model: Path, tmp_path: Path) -> None:
    entries, _ = _build(tiny_model, tmp_path)
    baseline, *rungs = entries
    assert (baseline.quant, baseline.path, baseline.is_baseline) == ("F32", tmp_path / "tiny-F32.gguf", True)
    assert baseline.sha256 == file_sha256(tiny_model)  # the source itself, under its rung name
    assert baseline.bits_per_weight == 32.0
    assert [rung.quant for rung in rungs] == QUANTS
    for rung in rungs:
        assert rung.path == tmp_path / f"tiny-{rung.quant}.gguf"
        assert rung.fallback_count == 0
        assert rung.sha256 == file_sha256(rung.path)
        assert rung.size_bytes == rung.path.stat().st_size
        assert json.loads(rung.path.with_name(rung.path.name + ".json").read_text()) == {
            "source_sha256": baseline.sha256,
            "quant": rung.quant,
            "output_sha256": rung.sha256,
        }
    assert [rung.bits_per_weight for rung in rungs] == sorted((rung.bits_per_weight for rung in rungs), reverse=True)
    assert rungs[1].tensor_types == {"Q4_K": 13, "Q6_K": 3, "F32": 5}


def test_second_build_reuses_every_rung(tiny_model: Path, tmp_path: Path) -> None:
    first, _ = _build(tiny_model, tmp_path)
    second, messages = _build(tiny_model, tmp_path)
    assert [entry.reused for entry in second] == [True] * 4
    assert [entry.sha256 for entry in second] == [entry.sha256 for entry in first]
    assert all("reusing" in message for message in messages)


def test_damaged_output_is_rebuilt(tiny_model: Path, tmp_path: Path) -> None:
    first, _ = _build(tiny_model, tmp_path, ["Q8_0"])
    with open(first[1].path, "ab") as stream:
        stream.write(b"\0")
    again, _ = _build(tiny_model, tmp_path, ["Q8_0"])
    assert not again[1].reused
    assert again[1].sha256 == file_sha256(again[1].path)


def test_changed_source_is_not_reused(tiny_model: Path, tmp_path: Path) -> None:
    _build(tiny_model, tmp_path / "out", ["Q8_0"])
    (tmp_path / "other").mkdir()
    other = write_tiny_llama(tmp_path / "other" / "tiny.gguf", seed=1)
    rebuilt, _ = _build(other, tmp_path / "out", ["Q8_0"])
    assert not rebuilt[1].reused


def test_quantized_source_is_expanded_to_an_f16_baseline(tiny_variant: Callable[[str], Path], tmp_path: Path) -> None:
    source = tiny_variant("Q4_K_M")
    entries, messages = _build(source, tmp_path, ["F16", "Q8_0"])
    baseline, rung = entries
    assert "already quantized (Q4_K_M)" in messages[0]
    assert (baseline.quant, baseline.path, baseline.is_baseline) == ("F16", tmp_path / "tiny-Q4_K_M-F16.gguf", True)
    assert set(baseline.tensor_types) == {"F16", "F32"}
    assert (rung.quant, rung.path, rung.fallback_count) == ("Q8_0", tmp_path / "tiny-Q4_K_M-Q8_0.gguf", 0)
    sidecar = json.loads(baseline.path.with_name(baseline.path.name + ".json").read_text())
    assert sidecar["source_sha256"] == file_sha256(source)
    assert (baseline.expanded_from, sidecar["expanded_from"], sidecar["source"]) == ("Q4_K_M", "Q4_K_M", source.name)
    assert rung.expanded_from is None


def test_the_baseline_says_where_it_came_from_and_a_replaced_file_does_not(tiny_variant, tmp_path: Path) -> None:
    from qframe_llamacpp.ladder import sidecar_provenance

    baseline = _build(tiny_variant("Q4_K_M"), tmp_path, ["Q8_0"])[0][0]
    assert sidecar_provenance(baseline.path, baseline.sha256) == {"expanded_from": "Q4_K_M", "source": "tiny-Q4_K_M.gguf"}
    assert sidecar_provenance(baseline.path, "0" * 64) == {}  # the sidecar speaks of another file
    sidecar = baseline.path.with_name(baseline.path.name + ".json")
    sidecar.write_text(json.dumps({k: v for k, v in json.loads(sidecar.read_text()).items() if k != "expanded_from"}))
    again, _ = _build(tiny_variant("Q4_K_M"), tmp_path, ["Q8_0"])
    assert again[0].reused and sidecar_provenance(again[0].path, again[0].sha256)["expanded_from"] == "Q4_K_M"


def test_non_gguf_source(tmp_path: Path) -> None:
    source = tmp_path / "model.gguf"
    source.write_text("not a model")
    with pytest.raises(ValueError, match=f"^not a GGUF file: {source}$"):
        _build(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_quant(tiny_model: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^unknown quant 'Q9_K'; known: "):
        _build(tiny_model, tmp_path / "out", ["Q8_0", "Q9_K"])
    assert not (tmp_path / "out").exists()


def test_out_dir_that_cannot_be_created(tiny_model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OSError, match=f"^cannot create ladder directory {blocker / 'ladder'}: "):
        _build(tiny_model, blocker / "ladder")


def test_llama_cpp_log_goes_to_a_file_not_the_terminal(tiny_model: Path, tmp_path: Path, capfd) -> None:
    lines: list[str] = []
    build_ladder(tiny_model, ["Q8_0"], tmp_path / "ladder", log=lines.append)
    captured = capfd.readouterr()
    log = (tmp_path / "ladder" / "llama.cpp.log").read_text()
    assert "llama_model_quantize" in log or "llama_model_loader" in log
    assert "llama_model_loader" not in captured.err + captured.out
    assert [line.split(":")[0] for line in lines] == ["F32", "Q8_0"]  # one line per rung


def test_model_loading_log_goes_to_a_file(tiny_model: Path, capfd) -> None:
    import asyncio

    from qframe.plugin_api.protocols import BackendSpec
    from qframe_llamacpp.backend import LlamaCppBackend

    async def load() -> dict:
        backend = LlamaCppBackend(BackendSpec("llamacpp", str(tiny_model)))
        info = await backend.open()
        await backend.close()
        return dict(info.details)

    details = asyncio.run(load())
    captured = capfd.readouterr()
    assert "llama_model_loader" not in captured.err + captured.out
    assert "llama_model_loader" in Path(details["native_log"]).read_text()


def test_rungs_with_the_same_tensors_are_twins_and_others_are_not(tiny_model: Path, tmp_path: Path) -> None:
    import shutil

    import attrs

    from qframe_llamacpp.gguf_info import inspect_gguf
    from qframe_llamacpp.ladder import mark_twins

    entries, _ = _build(tiny_model, tmp_path / "out", ["Q8_0", "Q2_K"])
    baseline, q8, q2 = entries
    copy = shutil.copy(q8.path, tmp_path / "tiny-Q8_0-again.gguf")
    twin = attrs.evolve(q8, quant="Q8_0_again", path=Path(copy), fallback_tensors=("blk.0.ffn_up.weight",))
    marked = mark_twins([baseline, q8, q2, twin], {e.quant: inspect_gguf(e.path).tensors for e in (baseline, q8, q2, twin)})
    assert [e.identical_to for e in marked] == [None, None, None, "Q8_0"]
    assert marked[3].twin_note() == "Q8_0_again is identical to Q8_0 for this model (1 weight matrices fell back to the same types)"
    assert all(e.identical_to is None for e in entries)  # the built ladder has no twins
