"""initstudy in five steps: initializers, a multi-seed fit, signal propagation, a study, a report.

Run it with ``python examples/quickstart.py`` (about a minute on 2 cores). It writes
``quickstart.db`` and ``quickstart.html`` in the current folder.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from initstudy import initializers
from initstudy.mlp import MLPClassifier, fit_seeds, signal_propagation
from initstudy.reports import build_html_report, scheme_table
from initstudy.study import StudyConfig, run_study

# 1. Every scheme is a named, configurable callable; randomness is passed in.
rng = np.random.default_rng(0)
w = initializers.get("he_normal")((64, 128), rng=rng, dtype=np.float32)
print(f"he_normal: var {w.var():.4f} (2 / fan_in = {2 / 64:.4f}); {len(initializers.available())} schemes")

# 2. Ten seeds trained in one vectorized pass, each equal to its own single fit.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
mlp = MLPClassifier(hidden_layer_sizes=(64, 64), init="glorot_uniform", max_iter=200)
fits = fit_seeds(mlp, X_train, y_train, seeds=range(10))
scores = [m.score(X_test, y_test) for m in fits]
print(f"glorot_uniform, 10 seeds: accuracy {np.mean(scores):.3f} +- {np.std(scores):.3f}")

# 3. Vanishing or exploding signal at initialization, per layer (He et al. 2015).
deep = MLPClassifier(hidden_layer_sizes=(256,) * 10, activation="relu")
for scheme in ("he_normal", "lecun_normal"):
    table = signal_propagation(deep.set_params(init=scheme), X_train, seeds=[0])
    print(scheme, "pre-activation std by layer:", np.round(table["preact_std"].to_numpy(), 3))

# 4. A study: the scheme and scale are Optuna parameters, every trial trains the same 5 seeds.
config = StudyConfig(
    study_name="quickstart", storage="sqlite:///quickstart.db", dataset="digits",
    space="keras", n_trials=12, seeds=5, estimator={"hidden_layer_sizes": [64, 64], "max_iter": 30},
)
study = run_study(config)
print("best:", study.best_params, round(study.best_value, 4))

# 5. The answer, with confidence intervals over seeds, and a self-contained HTML report.
print(scheme_table("sqlite:///quickstart.db", "quickstart").to_string())
build_html_report("sqlite:///quickstart.db", "quickstart", "quickstart.html")
print("wrote quickstart.html; browse the study with: initstudy dashboard --storage sqlite:///quickstart.db")
