"""The contract of every private Optuna/scikit-learn API initstudy uses (initstudy/_private_apis.py).

Each test names what breaks if it fails: update ``initstudy/_private_apis.py`` (and widen the
pins in pyproject.toml) only once these pass on the new version.
"""

from __future__ import annotations

import re
from pathlib import Path

import optuna
import pytest
import sklearn
from sklearn.neural_network import MLPClassifier
from sklearn.utils._param_validation import InvalidParameterError

import initstudy
from initstudy import _private_apis

pytestmark = pytest.mark.timeout(60)

VERSIONS = f"optuna {optuna.__version__}, scikit-learn {sklearn.__version__}"


def test_optuna_rdb_tables_have_the_columns_we_write() -> None:
    models = _private_apis.optuna_rdb_models()
    columns = {
        models.TrialModel: {"trial_id", "state"},
        models.TrialIntermediateValueModel: {
            "trial_id",
            "step",
            "intermediate_value",
            "intermediate_value_type",
        },
        models.TrialUserAttributeModel: {"trial_id", "key", "value_json"},
    }
    for model, needed in columns.items():
        missing = needed - set(model.__table__.c.keys())
        assert not missing, f"{VERSIONS}: {model.__name__} lost {missing}"
    stored = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr(0.5)
    assert len(stored) == 2, f"{VERSIONS}: the stored form of an intermediate value changed"


def test_trial_id_and_storage_of_an_rdb_study(tmp_path: Path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'x.db'}")
    trial = study.ask()
    storage = _private_apis.study_storage(study)
    assert isinstance(storage, optuna.storages.BaseStorage), VERSIONS
    assert isinstance(_private_apis.rdb_backend(study), optuna.storages.RDBStorage), VERSIONS
    study_id = storage.get_study_id_from_name(study.study_name)
    public = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
    assert _private_apis.trial_id_if_known(trial) == public, VERSIONS
    study.tell(trial, 0.0)


def test_sklearn_parameter_validation() -> None:
    _private_apis.validate_sklearn_params(MLPClassifier())
    with pytest.raises(InvalidParameterError, match="activation"):
        _private_apis.validate_sklearn_params(MLPClassifier(activation="nope"))


#: A private name of another library: ``optuna._x``, ``from sklearn.utils._x import``,
#: ``obj._storage``/``._trial_id``/``._study_id``/``._validate_params(``.
_PRIVATE_USE = re.compile(
    r"\b(?:optuna|sklearn)(?:\.\w+)*\._[a-z]\w*"
    r"|\._(?:storage|trial_id|study_id|backend)\b|\._validate_params\("
)


def test_no_other_module_uses_a_private_api() -> None:
    root = Path(initstudy.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "_private_apis.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if _PRIVATE_USE.search(code) and not code.lstrip().startswith(('"', "-", "``")):
                found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not found, "private APIs outside initstudy/_private_apis.py:\n" + "\n".join(found)
