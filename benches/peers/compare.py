"""Times mutar's MTW fit and POT's unbalanced barycenter on problems exported by
`kernel_study --export DIR`; writes results/peers/peers.csv. Not run in CI (see README.md)."""

import argparse
import csv
import json
import os
import time

import numpy as np


def dense_metric(m1):
    """M[f, g] = M1[f0, g0] + M1[f1, g1] for row-major features f = f0 * w + f1."""
    w = m1.shape[0]
    return (m1[:, None, :, None] + m1[None, :, None, :]).reshape(w * w, w * w)


def our_rows(path):
    """(w, T) -> seconds per sweep of kernel_study's f64 `auto` row at eps = 1/p."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for r in csv.DictReader(f):
            p = int(r["p"])
            if (r["strategy"], r["precision"]) != ("auto", "f64"):
                continue
            if abs(float(r["epsilon"]) * p - 1.0) > 1e-9 or not r["seconds_per_iteration"]:
                continue
            out[(int(r["w"]), int(r["tasks"]))] = float(r["seconds_per_iteration"])
    return out


def timed(fn, repeat=3):
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def barycenters(root, ours, rows, max_p, sweeps):
    """POT's seconds per sweep: `sweeps` sweeps with the stopping test disabled, one call
    (which also builds POT's p x p kernel, as every call of POT does), best of three. POT stops
    early, with a warning, when its scalings under/overflow: such a row says so in `status`
    and gets no ratio."""
    import warnings

    import ot

    for name in sorted(os.listdir(root)):
        if not name.startswith("w"):
            continue
        d = os.path.join(root, name)
        prm = json.load(open(os.path.join(d, "params.json")))
        if prm["w"] ** 2 > max_p:
            print(f"{name}: skipped (p = {prm['w'] ** 2} > --max-p {max_p})")
            continue
        theta = np.load(os.path.join(d, "theta.npy"))
        M = dense_metric(np.load(os.path.join(d, "M1.npy")))
        eps, gamma = prm["epsilon"], prm["gamma"]

        def run():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                _, log = ot.unbalanced.barycenter_unbalanced(
                    theta, M, reg=eps, reg_m=gamma, numItermax=sweeps, stopThr=0.0, log=True
                )
            failed = [str(w.message) for w in caught if "Numerical errors" in str(w.message)]
            return log["niter"] + 1, failed

        secs, (done, failed) = timed(run)
        status = f"POT: {failed[0]}" if failed else "ok"
        secs /= done
        our = ours.get((prm["w"], prm["T"]))
        ratio = secs / our if our and not failed else None
        rows.append([name, "pot", "seconds_per_sweep", our, secs, ratio, None, None, status])


def mtw_fit(root, ours, rows):
    """mutar's signed MTW fit on `mtw_p576/` (its defaults: tol 1e-4 on its own criterion),
    timed once, against our fits given as `mtw fit --out` folders (`fit.json`, `coef.npy`).
    mutar's `loss_` is not the objective (tests/data/REFERENCE_README.md, "Surprises"), and
    its `positive=True` path fits a shifted target, so the check that both solved the same
    problem is the coefficients: max |coef - coef_tight| / max |coef_tight| against our
    tightest fit (the first folder)."""
    from mutar import MTW

    d = os.path.join(root, "mtw_p576")
    prm = json.load(open(os.path.join(d, "params.json")))
    X, Y = np.load(os.path.join(d, "X.npy")), np.load(os.path.join(d, "Y.npy"))
    M = dense_metric(np.load(os.path.join(d, "M1.npy")))
    fits = []
    for folder in ours:
        info = json.load(open(os.path.join(folder, "fit.json")))
        fits.append((info, np.load(os.path.join(folder, "coef.npy"))))
    tight = fits[0][1] if fits else None

    def distance(coef):
        if tight is None:
            return None
        return float(np.abs(coef - tight).max() / np.abs(tight).max())

    def run():
        model = MTW(
            M=M, alpha=prm["alpha"], beta=prm["beta"], epsilon=prm["epsilon"],
            gamma=prm["gamma"], positive=False, fit_intercept=False, normalize=False,
        )
        return model.fit(X, Y)

    secs, model = timed(run, repeat=1)
    loosest = fits[-1][0]["seconds"] if fits else None
    for info, coef in fits:
        label = f"ours tol {info['parameters']['tol']:g}"
        rows.append(["mtw_p576", label, "seconds_per_fit", info["seconds"], None, None,
                     info["objective"], distance(coef), "ok"])
    rows.append(["mtw_p576", "mutar", "seconds_per_fit", loosest, secs,
                 secs / loosest if loosest else None, None, distance(model.coef_), "ok"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("problems")
    ap.add_argument("--ours", default="results/kernel_study/runs.csv")
    ap.add_argument("--ours-mtw", nargs="*", default=[], metavar="FIT_DIR",
                    help="`mtw fit --out` folders of our signed fits on mtw_p576, tightest "
                         "first, loosest (the one timed against mutar) last")
    ap.add_argument("--out", default="results/peers/peers.csv")
    ap.add_argument("--max-p", type=int, default=2304,
                    help="skip barycenter problems with more features (POT is dense)")
    ap.add_argument("--sweeps", type=int, default=200, help="Sinkhorn sweeps timed per call")
    a = ap.parse_args()
    rows = []
    barycenters(a.problems, our_rows(a.ours), rows, a.max_p, a.sweeps)
    mtw_fit(a.problems, a.ours_mtw, rows)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["problem", "peer", "measure", "ours", "theirs", "ratio",
                    "our_objective", "coef_rel_diff", "status"])
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {a.out}")


if __name__ == "__main__":
    main()
