"""Importers for reference-data files. Each validates the whole file before it writes anything."""

from pathlib import Path


class DataFileError(Exception):
    """A reference-data file is wrong. `problems` lists every problem found, each naming where."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def read_text(path_or_file) -> str:
    """The file's text (a path or an open file, bytes or text), or DataFileError if unreadable."""
    try:
        if isinstance(path_or_file, str | Path):
            with open(path_or_file, "rb") as fh:
                raw = fh.read()
        else:
            raw = path_or_file.read()
    except OSError as exc:
        raise DataFileError([f"cannot read the file: {exc}"]) from exc
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataFileError([f"not UTF-8 text: {exc}"]) from exc
    return raw.removeprefix("\ufeff")


def import_or_fail(importer, path, stderr) -> dict:
    """Run an importer for a management command: every problem to stderr, then CommandError."""
    from django.core.management.base import CommandError

    try:
        return importer(path)
    except DataFileError as exc:
        for problem in exc.problems:
            stderr.write(problem)
        raise CommandError(f"{path}: {len(exc.problems)} problem(s); nothing was imported") from exc
