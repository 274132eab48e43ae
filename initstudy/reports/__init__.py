"""Reports on stored studies: tables, statistics, plots, HTML/Markdown export, dashboard notes.

Data first, drawing second: every table function takes a storage URL (or storage) and a study
name, or an ``optuna.Study``, and returns a pandas DataFrame; plotting functions take those frames.
"""

from __future__ import annotations

from initstudy.reports._content import ReportContent, collect
from initstudy.reports._curves import learning_curves, scale_response
from initstudy.reports._dashboard import (
    check_host,
    default_artifact_dir,
    publish_to_dashboard,
    run_dashboard,
)
from initstudy.reports._failures import diagnose_signal, failure_reasons
from initstudy.reports._figures import (
    importances_figure,
    learning_curves_figure,
    optimization_history_figure,
    pairwise_figure,
    scale_response_figure,
    seed_scores_figure,
    signal_figure,
)
from initstudy.reports._html import build_html_report, render_html
from initstudy.reports._importance import importances
from initstudy.reports._load import StudyData, load_study_data
from initstudy.reports._markdown import build_markdown_report, export_csv, render_markdown
from initstudy.reports._pairwise import pairwise_matrix
from initstudy.reports._png import save_png
from initstudy.reports._signal import signal_table
from initstudy.reports._stats import (
    holm,
    mean_interval,
    paired_comparison,
    sign_flip_pvalue,
    summarize,
)
from initstudy.reports._tables import (
    compare_schemes,
    scheme_table,
    seed_scores,
    trials_table,
)
from initstudy.reports._text import (
    comparison_display,
    conclusion,
    render_text,
    scheme_display,
    variance_display,
    variance_summary,
)
from initstudy.reports._variance import variance_table
from initstudy.reports._verdicts import Grouping, best_group

__all__ = [
    "ReportContent",
    "StudyData",
    "Grouping",
    "best_group",
    "build_html_report",
    "build_markdown_report",
    "check_host",
    "collect",
    "compare_schemes",
    "comparison_display",
    "conclusion",
    "default_artifact_dir",
    "diagnose_signal",
    "export_csv",
    "failure_reasons",
    "holm",
    "importances",
    "importances_figure",
    "learning_curves",
    "learning_curves_figure",
    "load_study_data",
    "mean_interval",
    "optimization_history_figure",
    "paired_comparison",
    "pairwise_figure",
    "pairwise_matrix",
    "publish_to_dashboard",
    "render_html",
    "render_markdown",
    "render_text",
    "run_dashboard",
    "save_png",
    "scale_response",
    "scale_response_figure",
    "scheme_display",
    "scheme_table",
    "seed_scores",
    "seed_scores_figure",
    "sign_flip_pvalue",
    "signal_figure",
    "signal_table",
    "summarize",
    "trials_table",
    "variance_display",
    "variance_summary",
    "variance_table",
]
