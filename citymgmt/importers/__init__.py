"""Importers for reference-data files. Each validates the whole file before it writes anything."""


class DataFileError(Exception):
    """A reference-data file is wrong. `problems` lists every problem found, each naming where."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
