"""The self-contained HTML report: one file, plotly.js inline, opens offline."""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd
from plotly.offline import get_plotlyjs

from initstudy import __version__
from initstudy.reports._content import ReportContent, collect, plot_note, section_plots
from initstudy.reports._pairwise import pairwise_summary
from initstudy.reports._stats import MIN_SEEDS_FOR_TEST
from initstudy.reports._text import (
    scheme_display,
    variance_display,
    variance_summary,
)

__all__ = ["build_html_report", "render_html"]

#: Sections shown only when their table has rows (the study asked for them).
OPTIONAL = {"variance": "variance"}

#: Section id -> heading, in report order.
SECTIONS = {
    "answer": "The answer",
    "setup": "Question and setup",
    "conclusion": "Conclusion",
    "ranking": "Ranking of schemes",
    "comparisons": "Pairwise comparisons",
    "variance": "Where the spread comes from",
    "plots": "Plots",
    "trials": "All trials",
    "method": "How the numbers are computed",
}

METHOD = f"""<ul>
<li>Each scheme is represented by its best configuration (the trial with the best objective
value among that scheme's complete trials); ranks follow that value.</li>
<li>Per-seed score: the seed's score averaged over validation folds. Seeds are the same for every
trial, so comparisons are paired by seed.</li>
<li>std: sample standard deviation. IQM: mean of the middle 50% of seeds.
95% CI: Student-t interval with Hall's skewness correction of
the mean over seeds. The trials table shows the study's own stored Student-t interval.</li>
<li>Comparisons: mean of per-seed differences with its t interval; exact sign-flip permutation
test, Holm-adjusted across all pairs (a winner only where the adjusted p is at most 0.05); P(A beats B) = share of seeds where A scores better, ties one
half. Fewer than {MIN_SEEDS_FOR_TEST} non-tied seeds: no p-value (a two-sided test cannot reach
p &lt; 0.05). "Within noise": the CI of the difference includes 0.</li>
<li>Pairwise matrix: schemes in ranking order on both axes; each cell is the mean over seeds of
the row's score minus the column's (the matrix is antisymmetric), bold with an asterisk where
the Holm-adjusted p is at most 0.05, faded and marked "n.s." otherwise. Equivalent schemes are
never compared. The full table is comparisons.csv (<code>initstudy report --csv DIR</code>) and
<code>initstudy.reports.compare_schemes</code>.</li>
</ul>"""


def _table(frame: pd.DataFrame) -> str:
    """A frame as an escaped HTML table, or the reason it is empty."""
    if frame.empty:
        return f'<p class="note">{html.escape(frame.attrs.get("note", "no rows"))}</p>'
    body = frame.to_html(
        index=False, escape=True, na_rep="n/a", border=0, float_format=lambda x: f"{x:.4g}"
    )
    return f'<div class="scroll">{body}</div>'


def _setup(content: ReportContent) -> str:
    """The question and setup as a definition list."""
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in content.setup)
    return f'<dl class="setup">{items}</dl>'


def _conclusion(content: ReportContent) -> str:
    """The conclusion sentences as a list."""
    items = "".join(f"<li>{html.escape(s)}</li>" for s in content.conclusion)
    return f'<ul class="conclusion">{items}</ul>'


def _answer(content: ReportContent) -> str:
    """The first screen: at most six labelled lines, then its one picture."""
    items = "".join(
        f"<li><strong>{html.escape(label)}:</strong> {html.escape(text)}</li>"
        for label, text in content.answer
    )
    return f'<ul class="answer">{items}</ul>\n' + _plots(content, "answer", headings=False)


def _variance(content: ReportContent) -> str:
    """The stored variance decomposition: its summary, table and picture."""
    variance = content.tables["variance"]
    items = "".join(f"<li>{html.escape(s)}</li>" for s in variance_summary(variance))
    return f"<ul>{items}</ul>\n{_table(variance_display(variance))}\n" + _plots(
        content, "variance", headings=False
    )


def _plots(content: ReportContent, section: str = "plots", *, headings: bool = True) -> str:
    """The section's plots as embedded plotly divs, or the reason each is missing."""
    parts = []
    for name, spec in section_plots(section).items():
        if headings:
            parts.append(f'<h3 id="plot-{name}">{html.escape(spec.title)}</h3>')
        note = plot_note(content, name)
        if note:
            parts.append(f'<p class="note">Not drawn: {html.escape(note)}</p>')
            continue
        fig = spec.figure(content)
        parts.append(
            fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"fig-{name}",
                config={"displaylogo": False},
            )
        )
    return "\n".join(parts)


def _ranking(content: ReportContent) -> str:
    """The scheme table, for people."""
    schemes = content.tables["schemes"]
    return _table(scheme_display(schemes)) if len(schemes) else _table(schemes)


def _comparisons(content: ReportContent) -> str:
    """One line of counts and the pairwise matrix (the full table is in the CSV)."""
    line = f"<p>{html.escape(pairwise_summary(content.tables['comparisons']))}</p>"
    if plot_note(content, "pairwise"):  # no pair: the line says why, no figure
        return line
    return line + "\n" + _plots(content, "comparisons", headings=False)


_RENDERERS = {
    "answer": _answer,
    "setup": _setup,
    "conclusion": _conclusion,
    "ranking": _ranking,
    "comparisons": _comparisons,
    "variance": _variance,
    "plots": _plots,
    "trials": lambda c: _table(c.tables["trials"]),
    "method": lambda c: METHOD,
}


def render_html(content: ReportContent) -> str:
    """Render report content as one self-contained HTML document.

    Parameters
    ----------
    content : ReportContent
        From :func:`initstudy.reports._content.collect`.

    Returns
    -------
    str
        The HTML text (plotly.js inline; no external scripts, styles or fonts).
    """
    body = "\n".join(
        f'<section id="{sid}"><h2>{title}</h2>\n{_RENDERERS[sid](content)}\n</section>'
        for sid, title in SECTIONS.items()
        if sid not in OPTIONAL or len(content.tables[OPTIONAL[sid]])
    )
    template = Template(
        resources.files("initstudy.reports")
        .joinpath("templates/report.html")
        .read_text(encoding="utf-8")
    )
    title = html.escape(f"initstudy report: {content.study_name}")
    return template.substitute(title=title, version=__version__, plotlyjs=get_plotlyjs(), body=body)


def build_html_report(
    storage: Any, study_name: str | None = None, path: str | Path = "report.html", **kwargs: Any
) -> Path:
    """Write the study's report as one self-contained HTML file.

    Parameters
    ----------
    storage : str, storage, optuna.Study, StudyData or ReportContent
        Where the study is, or a report already computed.
    study_name : str, optional
        The study's name (not needed with a study).
    path : str or Path, default="report.html"
        The file to write (its folder must exist).
    **kwargs
        Passed to :func:`collect` (``signal``, ``importance``).

    Returns
    -------
    Path
        The written file. Sections: the answer (at most six lines and one picture),
        question and setup, conclusion, ranking with CIs, the pairwise matrix with one line
        of counts (the full comparison table is in the CSV export), the variance
        decomposition (when one is stored), plots, all trials, method.
    """
    path = Path(path)
    path.write_text(render_html(collect(storage, study_name, **kwargs)), encoding="utf-8")
    return path
