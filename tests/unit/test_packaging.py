"""Every package folder ships in the wheel: pyproject lists them explicitly (the mapped
folders batch/, migrations/ and statements/ rule out automatic discovery)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    listed = set(config["packages"])
    found = set()
    for package, folder in config["package-dir"].items():
        base = ROOT / folder
        prefix = package or ""
        for init in base.rglob("__init__.py"):
            if ".venv" in init.parts:
                continue
            relative = init.parent.relative_to(base).parts
            found.add(".".join(p for p in (prefix, *relative) if p))
    assert found - listed == set(), "package folders missing from pyproject's packages"
    assert listed - found == set(), "pyproject lists packages that do not exist"
