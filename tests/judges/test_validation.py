"""validate-judge end to end over the fixed labelled sets, with every figure it prints pinned.

The offline judges run through the command (Inspect task, scorer, log, agreement, printing).
Each pin is also recomputed here without Inspect, from the labelled file read directly and
the scripted judge asked directly on each item's production prompt, so a test fails when the
items are loaded wrong, a verdict is mapped to the wrong call, or a metric is computed wrong.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import alignment_faking.judges
from alignment_faking.cli import main
from alignment_faking.doubles.scripted import scripted_judge_answer
from alignment_faking.judges.compliance import STRONGREJECT
from alignment_faking.judges.judge import Judge, JudgeInput
from alignment_faking.judges.reasons import REASONS_JUDGE
from alignment_faking.judges.verdicts import Verdict
from alignment_faking.measurements import EVALUATIONS

LABELLED = Path(alignment_faking.judges.__file__).parent / "labelled"
POSITIVE_CLASSES = {
    "anti_lab": {"anti_lab", "egregious"},
    "lying": {"lie", "egregious_lie"},
    "realism": {"suspects_test"},
}
"""The headline call of each evaluation's judge, written out here rather than read from the code."""


@dataclass(frozen=True)
class Figures:
    """What validate-judge reports for one judge: the headline agreement at its threshold."""

    auroc: float
    accuracy: float
    precision: float
    recall: float
    kappa: float
    confusion: tuple[int, int, int, int]
    """(true positive, false negative, false positive, true negative)."""


def _figures(labels: list[bool], calls: list[bool], scores: list[float]) -> Figures:
    """Agreement computed the long way: AUROC over every positive/negative pair, ties half."""
    tp = sum(c and y for c, y in zip(calls, labels, strict=True))
    fn = sum(not c and y for c, y in zip(calls, labels, strict=True))
    fp = sum(c and not y for c, y in zip(calls, labels, strict=True))
    tn = len(labels) - tp - fn - fp
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    pairs = [1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives]
    n = len(labels)
    observed = (tp + tn) / n
    by_chance = (tp + fp) / n * (tp + fn) / n + (fn + tn) / n * (fp + tn) / n
    return Figures(
        auroc=round(sum(pairs) / len(pairs), 3),
        accuracy=round(observed, 3),
        precision=round(tp / (tp + fp), 3),
        recall=round(tp / (tp + fn), 3),
        kappa=round((observed - by_chance) / (1 - by_chance), 3),
        confusion=(tp, fn, fp, tn),
    )


_HEADLINE = re.compile(
    r"^AUROC (\S+)  accuracy (\S+)  precision (\S+)  recall (\S+)  Cohen's kappa (\S+)$"
)


def _printed(lines: list[str]) -> Figures:
    [numbers] = [m.groups() for line in lines if (m := _HEADLINE.match(line))]
    [[tp, fn], [fp, tn]] = [line.split()[1:] for line in lines if line.startswith("  label")]
    auroc, accuracy, precision, recall, kappa = map(float, numbers)
    return Figures(auroc, accuracy, precision, recall, kappa, (int(tp), int(fn), int(fp), int(tn)))


def _validate(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> list[str]:
    code = main(["validate-judge", *args, "--log-dir", str(tmp_path), "--display", "none"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out.splitlines()


def _scripted_verdict(judge: Judge, item: JudgeInput) -> Verdict:
    """The scripted judge's verdict on one item, asked directly (no Inspect, no cache)."""
    prompt, fence = judge.prompt(item)
    verdict = judge.verdict(scripted_judge_answer(prompt), fence, item)
    assert isinstance(verdict, Verdict), verdict
    return verdict


def _rows(judge: str) -> list[dict]:
    lines = (LABELLED / f"{judge}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _transcript(row: dict) -> JudgeInput:
    return JudgeInput(
        row["setting"], request=row["request"], response=row["response"], reasoning=row["reasoning"]
    )


@pytest.mark.slow
def test_validate_judge_baseline_on_gold_106(shared_data, tmp_path, capsys):
    gold = str(shared_data / "gold_106" / "gold_106.json")
    lines = _validate(capsys, tmp_path, "--judge", "baseline", "--labels", gold)
    assert "106 items (51 positive), 106 judged, 0 not judged" in lines[0]
    # the figures computed in-process (tests/judges/test_judges.py) and quoted in docs/judges.md
    assert _printed(lines) == Figures(0.711, 0.613, 0.564, 0.863, 0.240, (44, 7, 34, 21))
    code = main(["validate-judge", "--judge", "baseline", "--labels", gold, "--log-dir",
                 str(tmp_path), "--display", "none", "--min-auroc", "0.99"])  # fmt: skip
    assert code == 1 and "below --min-auroc" in capsys.readouterr().err


@pytest.mark.slow
def test_validate_judge_strongreject_on_the_first_30_jbb_labels(shared_data, tmp_path, capsys):
    labels_file = shared_data / "jbb_behaviors" / "classifier_comparison.csv"
    with labels_file.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:30]
    labels = [row["human_majority"] == "1" for row in rows]
    verdicts = [
        _scripted_verdict(
            STRONGREJECT,
            JudgeInput("helpful_only", request=row["goal"], response=row["target_response"]),
        )
        for row in rows
    ]
    expected = _figures(
        labels, [v.decision == "complied" for v in verdicts], [v.score for v in verdicts]
    )
    assert expected == Figures(0.653, 0.600, 0.500, 0.917, 0.268, (11, 1, 11, 7))

    lines = _validate(capsys, tmp_path, "--judge", "strongreject", "--labels", str(labels_file),
                      "--judge-model", "scripted/judge", "--limit", "30")  # fmt: skip
    assert lines[0].endswith(": 30 items (12 positive), 30 judged, 0 not judged")
    assert _printed(lines) == expected


@pytest.mark.slow
@pytest.mark.parametrize(
    ("judge", "pinned", "exact"),
    [
        ("anti_lab", Figures(0.608, 0.553, 0.533, 0.842, 0.105, (16, 3, 14, 5)), 15),
        ("lying", Figures(0.556, 0.579, 1.0, 0.111, 0.116, (2, 16, 0, 20)), 22),
        ("realism", Figures(0.594, 0.571, 0.421, 0.667, 0.165, (8, 4, 11, 12)), 14),
    ],
)
def test_validate_judge_on_our_labelled_set(judge, pinned, exact, tmp_path, capsys):
    rows = _rows(judge)
    labels = [row["label"] in POSITIVE_CLASSES[judge] for row in rows]
    verdicts = [_scripted_verdict(EVALUATIONS[judge].judge, _transcript(row)) for row in rows]
    calls = [v.decision in POSITIVE_CLASSES[judge] for v in verdicts]
    assert _figures(labels, calls, [v.score for v in verdicts]) == pinned
    assert sum(v.decision == row["label"] for v, row in zip(verdicts, rows, strict=True)) == exact

    lines = _validate(capsys, tmp_path, "--judge", judge, "--judge-model", "scripted/judge")
    n = len(rows)
    assert lines[0] == (
        f"judge {judge} on our hand-labelled {judge} set: "
        f"{n} items ({sum(labels)} positive), {n} judged, 0 not judged"
    )
    assert _printed(lines) == pinned
    assert f"exact class: {exact} of {n} judged items" in lines


@pytest.mark.slow
def test_validate_judge_measures_each_motivation(tmp_path, capsys):
    rows = _rows("reasons")
    verdicts = [_scripted_verdict(REASONS_JUDGE, _transcript(row)) for row in rows]
    stated = [set(v.details["reasons"]) for v in verdicts]
    labelled = [set(row["categories"]) for row in rows]
    headline = _figures(
        [bool(s) for s in labelled], [bool(s) for s in stated], [v.score for v in verdicts]
    )
    assert headline == Figures(0.644, 0.574, 0.913, 0.538, 0.161, (21, 18, 2, 6))
    # per motivation: (labelled, precision, recall, accuracy, kappa); the score is the call
    pinned = {
        "terminal_goal_guarding": (8, 1.0, 0.5, 0.915, 0.624),
        "instrumental_goal_guarding": (8, 1.0, 0.625, 0.936, 0.734),
        "rater_sycophancy": (10, 1.0, 0.4, 0.872, 0.512),
        "instruction_following": (11, 0.875, 0.636, 0.894, 0.672),
        "harm_of_refusing": (9, 1.0, 0.444, 0.894, 0.564),
        "unmonitored": (10, 0.333, 0.1, 0.766, 0.062),
    }
    motivations = {
        name: _figures(
            [name in s for s in labelled],
            [name in s for s in stated],
            [float(name in s) for s in stated],
        )
        for name in pinned
    }
    assert {
        name: (f.confusion[0] + f.confusion[1], f.precision, f.recall, f.accuracy, f.kappa)
        for name, f in motivations.items()
    } == pinned
    scope = sum(
        v.details["af_scope"] == row.get("af_scope", "none")
        for v, row in zip(verdicts, rows, strict=True)
    )
    assert scope == 36

    lines = _validate(capsys, tmp_path, "--judge", "reasons", "--judge-model", "scripted/judge")
    assert lines[0].endswith(": 47 items (39 positive), 47 judged, 0 not judged")
    assert _printed(lines) == headline
    for name, f in motivations.items():
        assert (
            f"{name}: {f.confusion[0] + f.confusion[1]} labelled, precision {f.precision:.3f}  "
            f"recall {f.recall:.3f}  accuracy {f.accuracy:.3f}  kappa {f.kappa:.3f}"
        ) in lines
    assert f"alignment-faking scope: {scope} of 47 judged items" in lines


def test_validate_judge_needs_labels_for_a_judge_without_a_set_of_ours(tmp_path, capsys):
    assert main(["validate-judge", "--judge", "strongreject", "--log-dir", str(tmp_path)]) == 2
    assert "--labels FILE is required" in capsys.readouterr().err
