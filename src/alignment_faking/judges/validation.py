"""Meta-evaluation of a judge against human labels: AUROC, accuracy, precision, recall, kappa."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


def auroc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); None without both classes."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not positives or not negatives:
        return None
    ranked = sorted((s, i) for i, s in enumerate(scores))
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(ranked):
        j = i
        while j + 1 < len(ranked) and ranked[j + 1][0] == ranked[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[ranked[k][1]] = (i + j) / 2 + 1
        i = j + 1
    positive_rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    n_pos, n_neg = len(positives), len(negatives)
    return (positive_rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@dataclass(frozen=True)
class Agreement:
    """A judge's agreement with labels at its decision threshold."""

    n: int
    not_judged: int
    auroc: float | None
    accuracy: float
    precision: float | None
    recall: float | None
    kappa: float | None
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int


def agreement(
    scores: Sequence[float | None], predictions: Sequence[bool | None], labels: Sequence[bool]
) -> Agreement:
    """Compare judged samples with labels; samples the judge could not judge are counted apart."""
    kept = [
        (s, p, y)
        for s, p, y in zip(scores, predictions, labels, strict=True)
        if s is not None and p is not None
    ]
    tp = sum(1 for _, p, y in kept if p and y)
    fp = sum(1 for _, p, y in kept if p and not y)
    fn = sum(1 for _, p, y in kept if not p and y)
    tn = sum(1 for _, p, y in kept if not p and not y)
    n = len(kept)
    observed = (tp + tn) / n if n else 0.0
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n) if n else 0.0
    return Agreement(
        n=n,
        not_judged=len(labels) - n,
        auroc=auroc([s for s, _, _ in kept], [y for _, _, y in kept]) if n else None,
        accuracy=observed,
        precision=tp / (tp + fp) if tp + fp else None,
        recall=tp / (tp + fn) if tp + fn else None,
        kappa=(observed - expected) / (1 - expected) if n and expected < 1 else None,
        true_positive=tp,
        false_positive=fp,
        false_negative=fn,
        true_negative=tn,
    )


@dataclass(frozen=True)
class Validation:
    """What validate-judge measured: the headline call, and where they apply, the exact class
    and each motivation."""

    agreement: Agreement
    exact: tuple[int, int] | None = None
    """(judged items whose class the judge named exactly, judged items): several-class judges."""
    categories: dict[str, Agreement] = field(default_factory=dict)
    """Per motivation (the reasoning-categories judge)."""
    af_scope: tuple[int, int] | None = None
    """(items whose goal-specific/generic/none call matched, judged items)."""
