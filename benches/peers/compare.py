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
    """(w, T) -> (seconds, None) for the f64 auto rows at eps = 1/p of kernel_study's CSV."""
    out = {}
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for r in csv.DictReader(f):
            p = int(r["p"])
            if (r["strategy"], r["precision"]) != ("auto", "f64"):
                continue
            if abs(float(r["epsilon"]) * p - 1.0) > 1e-9 or r["status"] != "ok":
                continue
            out[(int(r["w"]), int(r["tasks"]))] = float(r["seconds"])
    return out


def timed(fn, repeat=3):
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def barycenters(root, ours, rows):
    import ot

    for name in sorted(os.listdir(root)):
        if not name.startswith("w"):
            continue
        d = os.path.join(root, name)
        prm = json.load(open(os.path.join(d, "params.json")))
        theta = np.load(os.path.join(d, "theta.npy"))
        M = dense_metric(np.load(os.path.join(d, "M1.npy")))
        eps, gamma = prm["epsilon"], prm["gamma"]

        def run():
            return ot.unbalanced.barycenter_unbalanced(
                theta, M, reg=eps, reg_m=gamma, numItermax=100000, stopThr=1e-8
            )

        try:
            secs, _ = timed(run)
        except Exception as e:  # a peer failing (e.g. overflow at small eps) is data
            print(f"{name}: POT failed: {e}")
            secs = float("nan")
        our = ours.get((prm["w"], prm["T"]))
        rows.append([name, "pot", our, secs, secs / our if our else None, None, None])


def mtw_fit(root, ours_mtw, rows):
    from mutar import MTW

    d = os.path.join(root, "mtw_p576")
    prm = json.load(open(os.path.join(d, "params.json")))
    X, Y = np.load(os.path.join(d, "X.npy")), np.load(os.path.join(d, "Y.npy"))
    M = dense_metric(np.load(os.path.join(d, "M1.npy")))

    def run():
        model = MTW(
            M=M, alpha=prm["alpha"], beta=prm["beta"], epsilon=prm["epsilon"],
            gamma=prm["gamma"], positive=prm["positive"],
        )
        return model.fit(X, Y)

    secs, model = timed(run, repeat=1)
    their_obj = getattr(model, "loss_", None)
    if their_obj is not None and np.ndim(their_obj) > 0:
        their_obj = float(np.asarray(their_obj).ravel()[-1])
    our_s, our_obj = ours_mtw if ours_mtw else (None, None)
    rows.append(["mtw_p576", "mutar", our_s, secs, secs / our_s if our_s else None,
                 our_obj, their_obj])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("problems")
    ap.add_argument("--ours", default="results/kernel_study/runs.csv")
    ap.add_argument("--ours-mtw", nargs=2, type=float, metavar=("SECONDS", "OBJECTIVE"))
    ap.add_argument("--out", default="results/peers/peers.csv")
    a = ap.parse_args()
    rows = []
    barycenters(a.problems, our_rows(a.ours), rows)
    mtw_fit(a.problems, a.ours_mtw, rows)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["problem", "peer", "our_seconds", "their_seconds", "ratio",
                    "our_objective", "their_objective"])
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {a.out}")


if __name__ == "__main__":
    main()
