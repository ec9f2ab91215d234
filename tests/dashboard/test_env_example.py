"""`.env.example` lists exactly the variables the project reads."""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
READERS = re.compile(r"""env_(?:str|bool|int|float|list|url)\(\s*"([A-Z_]+)\"""")
LAUNCHER = re.compile(r"""env(?:\.get|\.setdefault|\[)\(?\s*"([A-Z_]+)\"""")


def _documented() -> dict[str, str]:
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    documented = {}
    for index, line in enumerate(lines):
        match = re.match(r"^([A-Z_]+)=", line)
        if match:
            comment = lines[index - 1]
            documented[match.group(1)] = comment
    return documented


def _read_by_code() -> set[str]:
    settings_source = (BASE_DIR / "dashboard" / "settings.py").read_text()
    launcher_source = (BASE_DIR / "dashboard" / "launcher.py").read_text()
    names = set(READERS.findall(settings_source)) | set(LAUNCHER.findall(launcher_source))
    return names - {"DJANGO_SETTINGS_MODULE", "PYTHONUNBUFFERED"}


def test_every_variable_read_is_documented_with_a_comment():
    documented = _documented()
    missing = _read_by_code() - set(documented)
    assert not missing, f"not in .env.example: {sorted(missing)}"
    for name, comment in documented.items():
        assert comment.startswith("# "), f"{name} has no one-line meaning above it"


def test_nothing_documented_is_unused():
    unused = set(_documented()) - _read_by_code()
    assert not unused, f"documented but never read: {sorted(unused)}"
