"""Fit the confidence model: an L2-regularised logistic regression by Newton's method (IRLS) in
numpy, five features and a few hundred rows; printed as a ``Calibration`` to paste into
parley/core/brains/search/calibration.py."""

from __future__ import annotations

import numpy as np
from parley.core.brains.search.calibration import Calibration


def fit(rows: list[tuple[tuple[float, ...], bool]], l2: float = 0.1, rounds: int = 50) -> Calibration:
    x = np.array([[1.0, *f] for f, _ in rows])
    y = np.array([1.0 if ok else 0.0 for _, ok in rows])
    w = np.zeros(x.shape[1])
    penalty = l2 * np.eye(x.shape[1])
    penalty[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(rounds):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Calibration(weights=tuple(round(float(v), 3) for v in w[1:]), bias=round(float(w[0]), 3))
