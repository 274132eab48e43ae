"""The pairwise matrix (issue 10 item 7): its table, its figures, and the reports that show it."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic_studies import build, swapped_confirmation

from initstudy.reports import (
    build_html_report,
    build_markdown_report,
    collect,
    compare_schemes,
    pairwise_figure,
    pairwise_matrix,
    render_text,
    scheme_table,
)
from initstudy.reports._pairwise import pairwise_square
from initstudy.reports._png import PNG_PLOTS, _new
from initstudy.reports._text import MAX_PAIRS


def _four() -> object:
    """4 schemes x 10 seeds: a, b within noise, then c, then d, 0.05 apart (5 pairs differ)."""
    base = np.linspace(0.90, 0.92, 10)
    known = {
        "c": [(1.0, list(base))],
        "a": [(1.0, list(base + 0.05))],
        "d": [(1.0, list(base - 0.05))],
        "b": [(1.0, list(base + 0.049 + np.tile([0.001, -0.001], 5)))],
    }
    return build(known, seeds=list(range(10)))


def _many(n_schemes: int = 13, n_seeds: int = 12) -> object:
    """``n_schemes`` schemes 0.01 apart on every seed: all 78 pairs differ after Holm."""
    rng = np.random.default_rng(0)
    base = np.linspace(0.80, 0.82, n_seeds)
    known = {
        f"s{i:02d}": [(1.0, list(base + 0.01 * i + rng.uniform(-0.002, 0.002, n_seeds)))]
        for i in range(n_schemes)
    }
    return build(known, seeds=list(range(n_seeds)))


def _section(text: str, sid: str) -> str:
    """One section of an HTML report."""
    return text.split(f'<section id="{sid}">')[1].split("</section>")[0]


def test_matrix_is_square_in_ranking_order_and_antisymmetric():
    data = _four()
    schemes, comp = scheme_table(data), compare_schemes(data)
    pairwise = pairwise_matrix(schemes, comp)
    order, sq = pairwise_square(pairwise)
    assert order == schemes["scheme"].tolist() == ["a", "b", "c", "d"]
    assert len(pairwise) == 4 * 3 and pairwise["row"].drop_duplicates().tolist() == order
    diff = sq["mean_diff"]
    assert diff.shape == (4, 4) and np.isnan(np.diag(diff)).all()
    off = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose(diff[off], -diff.T[off])
    np.testing.assert_allclose(sq["ci_low"][off], -sq["ci_high"].T[off])
    np.testing.assert_array_equal(sq["p_adjusted"], sq["p_adjusted"].T)
    for _, r in comp.iterrows():
        i, j = order.index(r["scheme_a"]), order.index(r["scheme_b"])
        assert diff[i, j] == pytest.approx(r["mean_diff"])  # row minus column


def test_matrix_marks_exactly_the_holm_significant_pairs():
    data = _four()
    comp = compare_schemes(data)
    pairwise = pairwise_matrix(scheme_table(data), comp)
    expected = {
        frozenset((r["scheme_a"], r["scheme_b"]))
        for _, r in comp.iterrows()
        if r["p_adjusted"] <= 0.05
    }
    assert len(expected) == 5  # every pair but a-b
    marked = {
        frozenset((r["row"], r["column"])) for _, r in pairwise.iterrows() if r["significant"]
    }
    assert marked == expected
    order, sq = pairwise_square(pairwise)
    sig, off = sq["significant"], ~np.eye(len(order), dtype=bool)
    fig = pairwise_figure(pairwise)
    faded, bold = fig.data
    np.testing.assert_array_equal(np.isfinite(np.asarray(bold.z, dtype=float)), sig)
    np.testing.assert_array_equal(np.isfinite(np.asarray(faded.z, dtype=float)), ~sig & off)
    assert all(("*" in t) == s for t, s in zip(np.ravel(bold.text), sig.ravel(), strict=True))
    nonsig = ~sig & off
    assert all(
        ("n.s." in t) == s for t, s in zip(np.ravel(faded.text), nonsig.ravel(), strict=True)
    )
    assert (
        list(fig.layout.yaxis.categoryarray) == order and fig.layout.yaxis.autorange == "reversed"
    )
    png, ax = _new()
    PNG_PLOTS["pairwise"][1](png, ax[0], pairwise)
    labels = [t.get_text() for t in ax[0].texts]
    assert sum(label.endswith("*") for label in labels) == int(sig.sum())
    assert sum("n.s." in label for label in labels) == int(nonsig.sum())


def test_matrix_rests_on_the_confirmation_scores_in_their_ranking():
    """The search ranks a first, the confirmation b: the matrix follows the confirmation."""
    data = swapped_confirmation()
    content = collect(data, signal=False)
    pairwise = content.tables["pairwise"]
    order, sq = pairwise_square(pairwise)
    assert order == ["b", "a"] and pairwise.attrs["scores"] == "confirmation"
    assert sq["mean_diff"][0, 1] == pytest.approx(0.10) and sq["significant"][0, 1]
    assert "Confirmation scores" in pairwise_figure(pairwise).layout.title.text


def test_a_single_scheme_has_no_matrix_but_a_note(tmp_path):
    content = collect(build({"a": [(1.0, [0.9, 0.8, 0.85])]}, seeds=[1, 2, 3]), signal=False)
    pairwise = content.tables["pairwise"]
    assert pairwise.empty and "needs at least 2 schemes" in pairwise.attrs["note"]
    html = build_html_report(content, path=tmp_path / "r.html").read_text(encoding="utf-8")
    section = _section(html, "comparisons")
    assert "No pairs compared: needs at least 2 schemes" in section
    assert 'id="fig-pairwise"' not in html and "Not drawn" not in section
    md = build_markdown_report(content, path=tmp_path / "r.md").read_text(encoding="utf-8")
    assert "No pairs compared" in md and "pairwise.png" not in md
    assert not (tmp_path / "r_files" / "pairwise.png").exists()
    assert "No pairs compared: needs at least 2 schemes" in render_text(content)


def test_reports_show_the_matrix_not_one_sentence_per_pair(tmp_path):
    content = collect(_many(), signal=False)
    assert len(content.tables["comparisons"]) == 78
    assert content.tables["comparisons"]["winner"].ne("").all()
    html = build_html_report(content, path=tmp_path / "r.html").read_text(encoding="utf-8")
    section = _section(html, "comparisons")
    assert 'id="fig-pairwise"' in section and "<table" not in section
    assert "78 pair(s) compared" in section and "78 differ after Holm correction" in section
    assert "comparisons.csv" in section and "compare_schemes" in section
    assert " better</td>" not in html  # no per-pair verdict rows anywhere
    assert sum(" beats " in s for s in content.conclusion) == 12  # the best against each other
    md = build_markdown_report(content, path=tmp_path / "r.md").read_text(encoding="utf-8")
    part = md.split("## Pairwise comparisons")[1].split("\n## ")[0]
    assert "78 pair(s) compared" in part and "| s12 |" not in part
    assert "![Pairwise differences" in part
    assert (tmp_path / "r_files" / "pairwise.png").read_bytes().startswith(b"\x89PNG")
    text = render_text(content)
    lines = text.split("Pairwise comparisons (paired by seed):\n")[1].split("\n\n")[0].splitlines()
    assert len(lines) == 1 + MAX_PAIRS + 1 and lines[-1] == "  ... 73 more in comparisons.csv"
    assert lines[1].startswith("  s12 better than ")


def test_conclusion_says_cannot_tell_once_for_one_reason():
    base = [0.80, 0.81, 0.82]
    known = {s: [(1.0, [b + 0.01 * i for b in base])] for i, s in enumerate("abcd")}
    words = collect(build(known, seeds=[1, 2, 3]), signal=False).conclusion
    unsure = [s for s in words if "cannot tell" in s]
    assert len(unsure) == 1 and unsure[0].startswith("d vs c, b, a: cannot tell (too few seeds")


def test_lower_is_better_keeps_blue_for_the_better_row():
    data = build(
        {"a": [(1.0, [0.3, 0.2, 0.25])], "b": [(1.0, [0.1, 0.15, 0.12])]},
        seeds=[1, 2, 3],
        direction="minimize",
    )
    pairwise = collect(data, signal=False).tables["pairwise"]
    order, sq = pairwise_square(pairwise)
    assert order == ["b", "a"] and sq["mean_diff"][0, 1] < 0 and not sq["significant"].any()
    assert pairwise.attrs["greater_is_better"] is False
    assert all(trace.reversescale for trace in pairwise_figure(pairwise).data)
