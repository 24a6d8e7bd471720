"""The README and docs/ name only what exists (issue #41): every path, file,
link and script command they cite is in the repository. A page that names
something renamed or removed fails here, not in a newcomer's hands."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# What the scripts make (.build/), Amazon's models beside the checkout, and
# names the pages give as patterns or as Odoo's (not this repository's).
MADE_ELSEWHERE = (".build/", ".venv/", "../shared/", "shared/spapi-models", "/opt/", "http")
SUFFIXES = (".py", ".sh", ".md", ".xml", ".json", ".csv", ".toml", ".pot", ".po", ".png", ".txt")
CODE = re.compile(r"`([^`\s]+)`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
COMMAND = re.compile(r"(?:bash|python3?|sh)\s+((?:scripts|\.ci)/[\w./-]+)")


def cited(page):
    text = page.read_text(encoding="utf-8")
    for match in CODE.finditer(text):
        token = match.group(1).rstrip(".,:;")
        if "/" in token or token.endswith(SUFFIXES):
            yield token
    for match in LINK.finditer(text):
        yield match.group(1)
    for match in COMMAND.finditer(text):
        yield match.group(1)


def exists(page, token):
    if token.startswith(MADE_ELSEWHERE) or any(char in token for char in "<{*="):
        return True
    token = token.split(":")[0]  # a path:line or path:name reference
    # Pages name files in a folder the sentence gives: the models', the
    # mappers', the glue addon's.
    bases = [ROOT, page.parent, ROOT / "models", ROOT / "mapping", ROOT / "tests"]
    bases.append(ROOT / "addons" / "sale_amazon_connector_queue")
    return any((base / token).exists() for base in bases)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_path_a_page_names_exists(page):
    missing = sorted({token for token in cited(page) if not exists(page, token)})
    assert not missing, f"{page.name} names what the repository does not have: {missing}"


def test_the_readme_is_short_and_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 400
    head = "\n".join(lines[:60])
    assert "bash scripts/run.sh" in head and "bash scripts/test.sh" in head
