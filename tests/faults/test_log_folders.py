"""Poisoned and unwritable log folders (issue 23, point 5): a file there that is no eval log is
skipped with a one-line note, a folder that cannot take the logs is refused before any call,
and results that cannot be written say why on the first line, logs and summary kept."""

import errno
import shutil
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from alignment_faking.cli import main
from alignment_faking.doubles.stub_server import scripted_responder, serve

NO_JUDGES = ["--variation", "accept_reject", "--compliance-judge", "tags", "--af-judge", "none"]
POISON = {
    "2026-01-01T00-00-00-00-00_helpful-only_truncated.eval": None,  # half of a real log
    "2026-01-01T00-00-01-00-00_helpful-only_garbage.eval": b"not a zip",
    "2026-01-01T00-00-02-00-00_helpful-only_empty.eval": b"",
    "2026-01-01T00-00-03-00-00_helpful-only_garbage.json": b'{"version": 2, "status":',
}
"""Files in a log folder that are no readable eval log: cut short by a kill or a full disk, junk."""


def _run(log_dir: Path, *extra: str, model: str = "scripted/faker") -> list[str]:
    return ["run", "--setting", "helpful_only", "--model", model, *NO_JUDGES, "--limit", "1",
            "--display", "none", "--log-dir", str(log_dir), *extra]  # fmt: skip


@pytest.fixture(scope="module")
def real_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished run's log, made once for the module (its own caches, as every test has)."""
    folder = tmp_path_factory.mktemp("real")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("INSPECT_CACHE_DIR", str(folder / "inspect-cache"))
        env.setenv("ALIGNMENT_FAKING_CACHE", str(folder / "dataset-cache"))
        assert main(_run(folder / "logs", "--no-report")) == 0
    [log] = (folder / "logs").glob("*.eval")
    return log


@pytest.fixture
def poisoned(tmp_path: Path, real_log: Path) -> Path:
    """A log folder holding a real run and every kind of unreadable file."""
    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copy(real_log, folder / real_log.name)
    data = real_log.read_bytes()
    for name, content in POISON.items():
        (folder / name).write_bytes(data[: len(data) // 2] if content is None else content)
    return folder


def _assert_skipped_each(stderr: str, folder: Path) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    for name in POISON:
        noted = [line for line in lines if name in line]
        assert noted, f"{name} was not noted"
        for line in noted:
            assert line.startswith(f"skipped {folder.resolve() / name}: not a readable eval log (")


def _one_error_line(stderr: str) -> str:
    [line] = stderr.strip().splitlines()
    assert line.startswith("alignment-faking: error: ")
    return line


@pytest.mark.slow
def test_summary_skips_unreadable_logs(poisoned, capsys):
    assert main(["summary", str(poisoned)]) == 0
    out, err = capsys.readouterr()
    assert "scripted/faker · helpful_only/accept_reject" in out
    _assert_skipped_each(err, poisoned)


@pytest.mark.slow
def test_report_skips_unreadable_logs(poisoned, tmp_path, capsys):
    assert main(["report", str(poisoned), "--out", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "report.html").exists()
    _assert_skipped_each(capsys.readouterr().err, poisoned)


@pytest.mark.slow
def test_run_into_a_poisoned_folder_works(poisoned, capsys):
    assert main(_run(poisoned)) == 0
    assert (poisoned / "report" / "report.html").exists()
    _assert_skipped_each(capsys.readouterr().err, poisoned)


@pytest.mark.slow
def test_resume_in_a_poisoned_folder_works(poisoned, capsys):
    """--resume reads every log of the folder to find the unfinished one (no report here)."""
    assert main(_run(poisoned, "--resume", "--no-report")) == 0
    _assert_skipped_each(capsys.readouterr().err, poisoned)


@pytest.mark.slow
def test_sweep_into_a_poisoned_folder_names_the_file_before_any_call(poisoned, monkeypatch, capsys):
    """Inspect's eval_set reads every log in its folder and cannot skip one: refused, named."""
    before = sorted(poisoned.iterdir())
    with serve(scripted_responder("faker")) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        code = main(["sweep", "--models", "openai-api/stub/faker", "--settings", "helpful_only",
                     "--variations", "accept_reject", "--compliance-judge", "tags", "--af-judge", "none",
                     "--limit", "1", "--display", "none", "--log-dir", str(poisoned)])  # fmt: skip
    assert code == 2 and stub.calls == 0
    line = _one_error_line(capsys.readouterr().err)
    assert any(f"{poisoned.resolve() / name}: not a readable eval log (" in line for name in POISON)
    assert line.endswith("remove it or pick another --log-dir")
    assert sorted(poisoned.iterdir()) == before


def _refused(log_dir: Path, monkeypatch, capsys) -> str:
    """The one error line of a run into log_dir, which must make no call."""
    with serve(scripted_responder("faker")) as stub:
        monkeypatch.setenv("STUB_BASE_URL", stub.base_url)
        monkeypatch.setenv("STUB_API_KEY", "sk-test")
        code = main(_run(log_dir, model="openai-api/stub/faker"))
    assert code == 2 and stub.calls == 0
    return _one_error_line(capsys.readouterr().err)


def test_log_dir_that_is_a_file_is_refused_before_any_call(tmp_path, monkeypatch, capsys):
    log_dir = tmp_path / "logs"
    log_dir.write_text("a file")
    line = _refused(log_dir, monkeypatch, capsys)
    assert line.endswith(f"--log-dir {log_dir} is a file, not a folder: pick another --log-dir")


@pytest.mark.parametrize(
    ("where", "cannot"),
    [
        ("/proc/af-test/logs", "create"),  # not even root can
        ("/proc", "write to"),  # it exists; not even root can
        ("{tmp}/file/logs", "create"),  # its parent is a file
    ],
)
def test_log_dir_that_cannot_be_written_is_refused_before_any_call(
    where, cannot, tmp_path, monkeypatch, capsys
):
    (tmp_path / "file").write_text("a file")
    log_dir = Path(where.format(tmp=tmp_path))
    line = _refused(log_dir, monkeypatch, capsys)
    assert f"cannot {cannot} the log folder {log_dir} (" in line
    assert line.endswith("pick another --log-dir")
    assert not log_dir.exists() or log_dir == Path("/proc")


def test_a_nearly_full_disk_is_refused_before_any_call(tmp_path, monkeypatch, capsys):
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda path: real(path)._replace(free=5 * 2**20))
    line = _refused(tmp_path / "logs", monkeypatch, capsys)
    assert f"only 5 MB free on the disk of the log folder {tmp_path / 'logs'} (" in line
    assert line.endswith("free some space or pick another --log-dir")


def _disk_full(monkeypatch) -> None:
    """Every figure fails to write as on a full disk: matplotlib is the report's first writer."""

    def savefig(self, fname, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(fname))

    monkeypatch.setattr(Figure, "savefig", savefig)


@pytest.mark.slow
def test_a_run_whose_report_cannot_be_written_says_why_first(tmp_path, monkeypatch, capsys):
    _disk_full(monkeypatch)
    log_dir = tmp_path / "logs"
    assert main(_run(log_dir)) == 1
    out, err = capsys.readouterr()
    first = err.splitlines()[0]
    assert first.startswith(f"alignment-faking: error: could not write the report to {log_dir}")
    assert "No space left on device" in first and "Traceback" not in err
    assert f"run `alignment-faking report {log_dir} --out {log_dir / 'report'}`" in first
    assert "scripted/faker · helpful_only/accept_reject" in out  # the table is kept
    assert (log_dir / "summary.json").exists() and list(log_dir.glob("*.eval"))


@pytest.mark.slow
def test_the_report_command_says_why_it_could_not_write(real_log, tmp_path, monkeypatch, capsys):
    _disk_full(monkeypatch)
    assert main(["report", str(real_log), "--out", str(tmp_path / "report")]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert "No space left on device" in line and line.endswith("pick another --out)")


@pytest.mark.slow
def test_the_summary_command_says_why_it_could_not_write(real_log, tmp_path, capsys):
    (tmp_path / "file").write_text("a file")
    out = tmp_path / "file" / "summary.json"
    assert main(["summary", str(real_log), "--out", str(out)]) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"alignment-faking: error: could not write the summary to {out}: ")
