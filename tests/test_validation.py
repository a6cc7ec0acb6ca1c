"""`sunhall processes validate`: one clear line per problem, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.bpmn import validate_bytes
from engine.config import PROCESSES_DIR
from webapp.cli import main

from .bpmn_samples import BROKEN, VALID

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bpmn-miwg-reference"


def test_a_good_flow_validates():
    result = validate_bytes(VALID.encode(), "ok.bpmn")
    assert result.ok, result.problems
    assert result.process_id == "p"


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_broken_file_gets_one_clear_line(name, tmp_path):
    text, expected = BROKEN[name]
    path = tmp_path / f"{name}.bpmn"
    path.write_text(text, encoding="utf-8")
    out = CliRunner().invoke(main, ["processes", "validate", str(path)])
    assert out.exit_code == 1
    lines = [line for line in out.output.splitlines() if line.strip()]
    assert lines and all(line.startswith(str(path)) for line in lines), out.output
    assert any(expected in line for line in lines), out.output
    assert "Traceback" not in out.output


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "huge.bpmn"
    path.write_text(VALID.replace("</bpmn:definitions>", "<!--" + "x" * (3 * 1024 * 1024) + "--></bpmn:definitions>"))
    out = CliRunner().invoke(main, ["processes", "validate", str(path)])
    assert out.exit_code == 1 and "超过上限" in out.output


def test_every_shipped_process_is_accepted():
    files = sorted(str(p) for p in PROCESSES_DIR.glob("*.bpmn"))
    assert len(files) >= 6
    out = CliRunner().invoke(main, ["processes", "validate", *files])
    assert out.exit_code == 0, out.output


@pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus not present")
@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.bpmn")) if CORPUS.exists() else [], ids=lambda p: p.name)
def test_interchange_corpus_is_imported_or_refused_cleanly(path):
    result = validate_bytes(path.read_bytes(), path.name)
    # these are diagrams made by other tools; each either validates or is refused one line per problem
    for problem in result.problems:
        line = str(problem)
        assert "\n" not in line and line.startswith(path.name)
        assert "Traceback" not in line
    if not result.ok:
        assert result.problems
