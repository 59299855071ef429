"""Reference values from scikit-learn 1.2 for the RF/MLP baselines (train/baselines/*.ts).

Features are rebuilt here independently of data/features.ts (pymatgen Composition.get_el_amt_dict,
sklearn StandardScaler), as upstream benchmark/tuning.py does, and the values written are:
  * features: element columns, scaler mean/scale, full feature rows of a few entries;
  * mlp: MLPRegressor runs with an integer random_state (our MLP reproduces sklearn's random
    stream exactly, so predictions must agree up to float32 rounding);
  * tree: DecisionTreeRegressor (all features, no bootstrap) in-sample predictions;
  * rf: RandomForestRegressor CV MAE on the paper folds (rf_mlp_full_478) for a few settings,
    mean and SD over 5 random_states, and the test MAE of the refit.

Run: /usr/bin/python3 scripts/reference/baselinesSklearn.py [obelix_dir]
Writes test/fixtures/baselines-sklearn.json.
"""
import json
import os
import sys
import warnings

import numpy as np
import pandas as pd
import sklearn
from pymatgen.core import Composition, Element
from sklearn.ensemble import RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(ROOT), 'shared', 'obelix')
LATTICE = ['a', 'b', 'c', 'alpha', 'beta', 'gamma']


def load():
    df = pd.read_csv(os.path.join(DATA, 'processed.csv'), dtype={'ID': str})
    ic = df['Ionic conductivity (S cm-1)'].astype(str).map(lambda s: 1e-15 if s.startswith('<') else float(s))
    df['y'] = np.log10(ic)
    train_ids = pd.read_csv(os.path.join(DATA, 'train_idx.csv'), dtype=str)['ID'].tolist()
    test_ids = pd.read_csv(os.path.join(DATA, 'test_idx.csv'), dtype=str)['ID'].tolist()
    amounts = [Composition(c).get_el_amt_dict() for c in df['Composition']]
    elements = sorted({el for a in amounts for el, n in a.items() if n != 0}, key=lambda e: Element(e).Z)
    comp = np.array([[a.get(el, 0.0) for el in elements] for a in amounts])
    df = df.set_index('ID')
    comp = pd.DataFrame(comp, index=df.index, columns=elements)
    scaler = StandardScaler().fit(df.loc[train_ids, LATTICE].to_numpy())

    def feats(ids):
        lat = scaler.transform(df.loc[ids, LATTICE].to_numpy())
        return np.hstack([comp.loc[ids].to_numpy(), df.loc[ids, ['Space group number']].to_numpy(), lat])

    return df, elements, scaler, train_ids, test_ids, feats


def main():
    warnings.filterwarnings('ignore', category=ConvergenceWarning)
    df, elements, scaler, train_ids, test_ids, feats = load()
    Xtr, ytr = feats(train_ids), df.loc[train_ids, 'y'].to_numpy()
    Xte, yte = feats(test_ids), df.loc[test_ids, 'y'].to_numpy()
    cif_test = df.loc[test_ids, 'CIF'].to_numpy() != 'No Match'
    out = {
        'sklearn': sklearn.__version__,
        'features': {
            'elements': elements,
            'mean': scaler.mean_.tolist(),
            'scale': scaler.scale_.tolist(),
            'rows': {i: feats([i])[0].tolist() for i in ['3o4', train_ids[0], test_ids[0], test_ids[-1]]},
        },
    }

    # MLP with an integer random_state: rows 0..149 of train_idx order, predictions on 20 test rows.
    mlp_cases = [
        dict(hidden_layer_sizes=(8, 8), batch_size=16, learning_rate_init=0.01, random_state=0,
             max_iter=60, n_iter_no_change=5, early_stopping=True),
        dict(hidden_layer_sizes=(16, 16, 16), batch_size=32, learning_rate_init=0.003, random_state=7,
             max_iter=40, n_iter_no_change=100, early_stopping=True),
        dict(hidden_layer_sizes=(32,), batch_size=64, learning_rate_init=0.03, random_state=3,
             max_iter=15, n_iter_no_change=1000, early_stopping=False, shuffle=False),
    ]
    out['mlp'] = []
    for case in mlp_cases:
        m = MLPRegressor(activation='relu', solver='adam', alpha=1e-4, tol=1e-4, validation_fraction=0.1, **case)
        m.fit(Xtr[:150], ytr[:150])
        out['mlp'].append({
            'params': {k: (list(v) if isinstance(v, tuple) else v) for k, v in case.items()},
            'n_iter': int(m.n_iter_),
            'best_validation_score': float(m.best_validation_score_) if m.best_validation_score_ is not None else None,
            'validation_scores': [float(v) for v in (m.validation_scores_ or [])],
            'predictions': m.predict(Xte[:20]).tolist(),
        })

    # One tree on all 478 rows, all features, no bootstrap: in-sample and test predictions.
    out['tree'] = []
    for msl, depth in [(3, None), (1, 6)]:
        t = DecisionTreeRegressor(min_samples_leaf=msl, max_depth=depth, random_state=0).fit(Xtr, ytr)
        out['tree'].append({'min_samples_leaf': msl, 'max_depth': depth, 'train_pred': t.predict(Xtr).tolist(),
                            'test_pred': t.predict(Xte).tolist(), 'n_leaves': int(t.get_n_leaves()),
                            'depth': int(t.get_depth())})

    # Random forests on the paper folds, 5 random states each.
    folds = json.load(open(os.path.join(DATA, 'folds.json')))['rf_mlp_full_478']['folds']
    pos = {i: k for k, i in enumerate(train_ids)}
    fold_rows = [[pos[i] for i in f] for f in folds]
    out['rf'] = []
    for params in [
        dict(n_estimators=100, max_depth=None, max_features=None, min_samples_leaf=1),
        dict(n_estimators=100, max_depth=None, max_features='sqrt', min_samples_leaf=1),
        dict(n_estimators=50, max_depth=12, max_features='log2', min_samples_leaf=3),
        dict(n_estimators=20, max_depth=6, max_features='sqrt', min_samples_leaf=2),
    ]:
        cv, test, test_cif = [], [], []
        for seed in range(5):
            maes = []
            for val in fold_rows:
                tr = np.setdiff1d(np.arange(len(train_ids)), val)
                rf = RandomForestRegressor(random_state=seed, **params).fit(Xtr[tr], ytr[tr])
                maes.append(np.mean(np.abs(rf.predict(Xtr[val]) - ytr[val])))
            cv.append(float(np.mean(maes)))
            rf = RandomForestRegressor(random_state=seed, **params).fit(Xtr, ytr)
            err = np.abs(rf.predict(Xte) - yte)
            test.append(float(err.mean()))
            test_cif.append(float(err[cif_test].mean()))
        out['rf'].append({'params': params, 'cv_mae': cv, 'test_mae': test, 'test_mae_cif': test_cif})
        print(params, 'cv', np.mean(cv), np.std(cv), 'test', np.mean(test))

    path = os.path.join(ROOT, 'test', 'fixtures', 'baselines-sklearn.json')
    with open(path, 'w') as f:
        json.dump(out, f)
        f.write('\n')
    print('wrote', path)


if __name__ == '__main__':
    main()
