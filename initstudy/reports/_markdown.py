"""The Markdown report (PNG plots in a folder beside it) and the CSV export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from initstudy.reports._content import PLOTS, ReportContent, collect, plot_note, section_plots
from initstudy.reports._pairwise import pairwise_summary
from initstudy.reports._png import save_png
from initstudy.reports._tables import get_data
from initstudy.reports._text import (
    markdown_table,
    scheme_display,
    variance_display,
    variance_summary,
)

__all__ = ["build_markdown_report", "export_csv", "note_markdown", "render_markdown"]


def _table_md(frame: pd.DataFrame, display: Any = None) -> str:
    """A table as Markdown, or the italic reason it is empty."""
    if frame.empty:
        return f"_{frame.attrs.get('note', 'no rows')}_"
    return markdown_table(display(frame) if display else frame)


def note_markdown(content: ReportContent) -> str:
    """The short Markdown summary: answer, conclusion and ranking (the dashboard's study note)."""
    lines = [f"## initstudy: {content.study_name}", "", "### The answer", ""]
    lines += _answer_md(content)
    lines += ["", "### Conclusion", ""]
    lines += [f"- {s}" for s in content.conclusion]
    lines += [
        "",
        "### Ranking of schemes",
        "",
        _table_md(content.tables["schemes"], _ranking_short),
    ]
    return "\n".join(lines) + "\n"


def _answer_md(content: ReportContent) -> list[str]:
    """The first screen's lines as Markdown bullets with bold labels."""
    return [f"- **{label}:** {text}" for label, text in content.answer]


def _images_md(content: ReportContent, images: dict[str, str], section: str) -> list[str]:
    """The section's plots as Markdown images (or why each is missing)."""
    lines = []
    for name, spec in section_plots(section).items():
        if section == "plots":
            lines += [f"### {spec.title}", ""]
        lines.append(
            f"![{spec.title}]({images[name]})"
            if name in images
            else f"_Not drawn: {plot_note(content, name)}_"
        )
        lines.append("")
    return lines


def _ranking_short(schemes: pd.DataFrame) -> pd.DataFrame:
    """The ranking with the columns that fit a note."""
    return scheme_display(schemes)[
        [
            "rank",
            "scheme",
            "trial",
            "mean",
            "std",
            "95% CI (t, skew-corrected)",
            "seeds",
            "diverged",
        ]
    ]


def render_markdown(content: ReportContent, images: dict[str, str]) -> str:
    """Render report content as Markdown.

    Parameters
    ----------
    content : ReportContent
        From :func:`collect`.
    images : dict of str to str
        Plot name -> relative path of its PNG (missing plots say why instead).

    Returns
    -------
    str
    """
    lines = [f"# initstudy report: {content.study_name}", "", "## The answer", ""]
    lines += _answer_md(content) + [""]
    lines += _images_md(content, images, "answer")
    lines += ["## Question and setup", ""]
    lines += [f"- **{k}**: {v}" for k, v in content.setup]
    lines += ["", "## Conclusion", ""] + [f"- {s}" for s in content.conclusion]
    lines += ["", "## Ranking of schemes", "", _table_md(content.tables["schemes"], scheme_display)]
    lines += ["", "## Pairwise comparisons", "", pairwise_summary(content.tables["comparisons"])]
    if not plot_note(content, "pairwise"):  # no pair: the line says why, no figure
        lines += [""] + _images_md(content, images, "comparisons")
    variance = content.tables["variance"]
    if len(variance):
        lines += ["", "## Where the spread comes from", ""]
        lines += [f"- {s}" for s in variance_summary(variance)]
        lines += ["", markdown_table(variance_display(variance)), ""]
        lines += _images_md(content, images, "variance")
    lines += ["", "## Plots", ""]
    lines += _images_md(content, images, "plots")
    lines += ["## All trials", "", _table_md(content.tables["trials"])]
    return "\n".join(lines) + "\n"


def build_markdown_report(
    storage: Any, study_name: str | None = None, path: str | Path = "report.md", **kwargs: Any
) -> Path:
    """Write the study's report as Markdown, with PNG plots in ``<stem>_files/`` beside it.

    Parameters
    ----------
    storage : str, storage, optuna.Study, StudyData or ReportContent
        Where the study is, or a report already computed.
    study_name : str, optional
        The study's name (not needed with a study).
    path : str or Path, default="report.md"
        The Markdown file to write (its folder must exist).
    **kwargs
        Passed to :func:`collect` (``signal``, ``importance``).

    Returns
    -------
    Path
        The written Markdown file.
    """
    path = Path(path)
    content = collect(storage, study_name, **kwargs)
    folder = path.with_name(path.stem + "_files")
    folder.mkdir(exist_ok=True)
    images = {}
    for name, spec in PLOTS.items():
        if not plot_note(content, name):
            save_png(name, content.tables[spec.table], folder / f"{name}.png")
            images[name] = f"{folder.name}/{name}.png"
    path.write_text(render_markdown(content, images), encoding="utf-8")
    return path


def export_csv(
    storage: Any, study_name: str | None = None, directory: str | Path = ".", **kwargs: Any
) -> list[Path]:
    """Write every report table, and the raw per-seed rows, as CSV files.

    Parameters
    ----------
    storage : str, storage, optuna.Study, StudyData or ReportContent
        Where the study is, or a report already computed.
    study_name : str, optional
        The study's name (not needed with a study).
    directory : str or Path, default="."
        Created if missing.
    **kwargs
        Passed to :func:`collect`.

    Returns
    -------
    list of Path
        ``trials.csv``, ``schemes.csv``, ``comparisons.csv`` (one row per pair: the full
        detail behind the report's matrix), ``pairwise.csv`` (the matrix, long format),
        ``seed_scores.csv``, ``answer.csv``, ``variance.csv``,
        ``learning_curves.csv``, ``scale_response.csv``, ``importances.csv``, ``signal.csv``
        and ``seed_runs.csv`` (curves as JSON lists). Empty tables are written with their
        header only.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    content = collect(
        storage if isinstance(storage, ReportContent) else get_data(storage, study_name), **kwargs
    )
    runs = content.data.seed_runs.copy()
    for column in ("loss_curve", "eval_curve"):
        if column in runs:
            runs[column] = [
                json.dumps(list(map(float, c))) if c is not None else "" for c in runs[column]
            ]
    written = []
    for name, frame in {**content.tables, "seed_runs": runs}.items():
        out = directory / f"{name}.csv"
        frame.to_csv(out, index=False)
        written.append(out)
    return written
