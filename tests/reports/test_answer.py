"""The report's first screen (issue 10 item 7, issue 12 item 4) and its variance section."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest
from synthetic_studies import CONFIG, KNOWN, build

from initstudy.reports import build_html_report, build_markdown_report, collect, render_text
from initstudy.reports._answer import ROW_COUNT_ATTRS
from initstudy.reports._load import _seed_scores_from_runs
from initstudy.reports._variance import USER_ATTR

SEEDS = list(range(10))
#: 10 seeds: two schemes level at the top, one clearly worse, one that mostly diverged.
GROUPED = {
    "he_normal": [
        (1.0, [0.95, 0.96, 0.94, 0.97, 0.95, 0.96, 0.95, 0.94, 0.96, 0.95]),
        (3.0, [0.90, 0.91, 0.89, 0.92, 0.90, 0.91, 0.90, 0.89, 0.91, 0.90]),
    ],
    "glorot_uniform": [(1.0, [0.95, 0.95, 0.95, 0.96, 0.96, 0.95, 0.96, 0.94, 0.95, 0.96])],
    "random_normal": [(0.5, [0.80, 0.81, 0.79, 0.82, 0.80, 0.78, 0.81, 0.80, 0.79, 0.80])],
    "zeros": [(1.0, [0.10] * 10)],
}
ZEROS_TRIAL = 4
LABELS = ["Best group", "Worse", "Failed", "Mattered most", "How sure", "Scores"]


def _grouped(vary: list[str] | None = None):
    """The grouped study; ``vary`` written into its stored config (absent: the default)."""
    diverged = {(ZEROS_TRIAL, i): True for i in range(8)}
    data = build(GROUPED, seeds=SEEDS, diverged=diverged)
    config = copy.deepcopy(CONFIG)
    if vary is not None:
        config["seeds"]["vary"] = vary
    data.record = {"config": config}
    return data


def _lines(data) -> dict[str, str]:
    content = collect(data, signal=False)
    assert len(content.answer) <= 6
    return dict(content.answer)


def _confirm(data, shift: float = 0.0) -> None:
    """Give each scheme's best trial confirmation rows on 10 fresh seeds (100..109)."""
    rows = []
    for number in (0, 2, 3, ZEROS_TRIAL):
        search = data.seed_scores[data.seed_scores["trial_number"] == number]
        for i, (_, r) in enumerate(search.iterrows()):
            rows.append(
                {
                    "trial_number": number,
                    "seed": 100 + i,
                    "fold": 0,
                    "score": r["score"] - shift,
                    "diverged": bool(r["diverged"]),
                    "n_iter": 5,
                    "fit_seconds": 0.1,
                }
            )
    data.confirm_scores = _seed_scores_from_runs(pd.DataFrame(rows))


def test_first_screen_says_groups_importance_how_sure_and_scores():
    lines = _lines(_grouped())
    assert list(lines) == LABELS
    best, worse, failed = lines["Best group"], lines["Worse"], lines["Failed"]
    assert best.startswith("he_normal 0.953 [") and "glorot_uniform 0.953" in best
    assert "random_normal" not in best and "zeros" not in best
    assert worse.startswith("random_normal 0.8 [") and "he_normal" not in worse
    assert failed == (  # the stored counts, then the signal of its rebuilt network
        "zeros (8/10 seeds diverged; symmetric: the units of hidden layer 1 start (and stay) equal)"
    )
    assert "scale (init_scale)" in lines["Mattered most"]
    assert "scheme (init)" in lines["Mattered most"] and "PED-ANOVA" in lines["Mattered most"]
    sure = lines["How sure"]
    assert sure.startswith("10 search seeds per scheme")
    assert "one sample" not in sure  # the validation size is not stored: no number invented
    assert lines["Scores"] == "selection scores (optimistic): run `initstudy confirm synthetic`"


@pytest.mark.parametrize(
    ("vary", "words"),
    [
        (None, "initialization and data order (one fixed validation split)"),
        (["init"], "initialization only (data order and validation split fixed)"),
        (["init", "order", "split"], "initialization, data order and validation split"),
    ],
)
def test_how_sure_line_names_the_sources_the_intervals_include(vary, words):
    sure = _lines(_grouped(vary))["How sure"]
    assert f"95% intervals over seeds include {words}" in sure


def test_how_sure_line_without_a_stored_config_claims_no_sources():
    data = _grouped()
    data.record = {}
    assert "sources of randomness not stored" in _lines(data)["How sure"]


def test_confirmation_rows_rank_the_answer_and_the_stored_test_size_gives_its_resolution():
    data = _grouped()
    _confirm(data, shift=0.01)
    data.study.set_user_attr(ROW_COUNT_ATTRS["confirm"], 360)
    data.study.set_user_attr(ROW_COUNT_ATTRS["search"], 288)  # not the part the ranking uses
    lines = _lines(data)
    assert lines["Scores"].startswith("ranked on confirmation scores")
    assert "he_normal 0.943 [" in lines["Best group"]  # the confirmation mean, not 0.953
    sure = lines["How sure"]
    assert sure.startswith("10 fresh confirmation seeds per scheme")
    assert sure.endswith("test part 360 rows, one sample = 1/360 = 0.0028")
    content = collect(data, signal=False)
    assert content.tables["answer"].attrs["scores"] == "confirmation"
    assert set(content.tables["answer"]["seed"]) == set(range(100, 110))


@pytest.mark.parametrize(
    ("on", "part"), [("test", "test part"), ("validation", "validation folds")]
)
def test_the_confirmation_summary_gives_the_scored_size(on: str, part: str):
    """What ``confirm_study`` stores (``confirm["n_scored"]``, ``confirm["on"]``) is read."""
    data = _grouped()
    _confirm(data, shift=0.01)
    data.study.set_user_attr("confirm", {"n_scored": 360, "on": on, "seeds": list(range(10))})
    sure = _lines(data)["How sure"]
    assert sure.endswith(f"{part} 360 rows, one sample = 1/360 = 0.0028")


def test_stored_validation_size_is_used_before_confirmation():
    data = _grouped()
    data.study.set_user_attr(ROW_COUNT_ATTRS["search"], 288)
    sure = _lines(data)["How sure"]
    assert sure.endswith("validation part 288 rows, one sample = 1/288 = 0.0035")


def test_regression_scores_get_the_size_but_no_per_sample_resolution():
    data = _grouped()
    data.record["config"]["dataset"]["task"] = "regression"
    data.record["config"]["evaluation"]["penalty"] = 0.0
    data.study.set_user_attr(ROW_COUNT_ATTRS["search"], 100)
    sure = _lines(data)["How sure"]
    assert sure.endswith("validation part 100 rows")


def test_too_few_seeds_say_the_groups_were_not_tested():
    lines = _lines(build(KNOWN))
    assert lines["Best group"].startswith("not tested (5 seed(s);")
    assert "ranked first: he_normal 0.954" in lines["Best group"]
    assert lines["Worse"] == "not tested" and lines["Failed"] == "none"


def test_answer_table_counts_a_diverged_seed_with_the_penalty():
    table = collect(_grouped(), signal=False).tables["answer"]
    zeros = table[table["scheme"] == "zeros"]
    assert zeros["group"].eq("failed").all() and zeros["diverged"].sum() == 8
    assert (zeros.loc[zeros["diverged"], "score"] == 0.0).all()
    assert table["scheme"].drop_duplicates().tolist()[:2] == ["he_normal", "glorot_uniform"]


def test_text_report_opens_with_the_answer(tmp_path):
    text = render_text(collect(_grouped(), signal=False))
    first = text.split("\n\n")[0].splitlines()
    assert first[0] == "Study 'synthetic'" and len(first) - 1 <= 6
    assert [line.strip().split(":")[0] for line in first[1:]] == LABELS


def test_html_and_markdown_open_with_the_answer_and_its_picture(tmp_path):
    content = collect(_grouped(), signal=False)
    html = build_html_report(content, path=tmp_path / "r.html").read_text(encoding="utf-8")
    sections = re.findall(r'<section id="([a-z]+)">', html)
    assert sections[0] == "answer" and "variance" not in sections
    answer = html.split('<section id="answer">')[1].split("</section>")[0]
    assert answer.count("<li>") == 6 and 'id="fig-answer"' in answer
    md = build_markdown_report(content, path=tmp_path / "r.md").read_text(encoding="utf-8")
    head = md.split("## Question and setup")[0]
    assert head.count("\n- **") == 6 and "![Scores per scheme" in head
    image = re.search(r"\]\(([^)]+answer\.png)\)", head).group(1)
    assert (tmp_path / image).read_bytes().startswith(b"\x89PNG")


def _variance_rows() -> list[dict]:
    shares = {"init": 0.5, "order": 0.1, "split": 0.1, "init x order": 0.1, "residual": 0.2}
    return [
        {
            "scheme": scheme,
            "trial_number": number,
            "seconds": 12.5,
            "source": source,
            "variance": share * 1e-4,
            "share": share,
            "share_low": max(share - 0.1, 0.0),
            "share_high": min(share + 0.3, 1.0),
            "df": 3,
        }
        for scheme, number in (("he_normal", 0), ("glorot_uniform", 2))
        for source, share in shares.items()
    ]


def test_a_stored_decomposition_adds_its_section_table_and_picture(tmp_path):
    data = _grouped()
    data.study.set_user_attr(USER_ATTR, _variance_rows())
    content = collect(data, signal=False)
    assert len(content.tables["variance"]) == 10
    html = build_html_report(content, path=tmp_path / "r.html").read_text(encoding="utf-8")
    section = html.split('<section id="variance">')[1].split("</section>")[0]
    assert "Where the spread comes from" in html and 'id="fig-variance"' in section
    assert "the largest share of the spread is init, 0.50" in section
    md = build_markdown_report(content, path=tmp_path / "r.md").read_text(encoding="utf-8")
    assert "## Where the spread comes from" in md and "variance.png" in md
    assert (tmp_path / "r_files" / "variance.png").read_bytes().startswith(b"\x89PNG")
    text = render_text(content)
    assert "Where the spread comes from" in text and "0.40 to 0.80" in text


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"init": "zeros"}, "symmetric: the units of hidden layer 1 start (and stay) equal"),
        ({"init": "ones"}, "symmetric: the units of hidden layer 1 start (and stay) equal"),
        ({"init": "random_normal"}, "vanishing signal: activation std"),
        ({"init": "he_normal", "init_scale": 4.0}, "exploding signal: activation std"),
        ({"init": "he_normal"}, None),
    ],
)
def test_the_signal_at_initialization_names_the_failure(params, reason):
    """Eight ReLU layers of 32 on digits: the classic failures, diagnosed without training."""
    from sklearn.datasets import load_digits

    from initstudy.mlp import MLPClassifier, signal_propagation
    from initstudy.reports import diagnose_signal

    X, y = load_digits(return_X_y=True)
    net = MLPClassifier((32,) * 8, **params)
    got = diagnose_signal(signal_propagation(net, X[:256] / 16, y[:256], seeds=[0, 1]))
    assert got is None if reason is None else got.startswith(reason)
