"""The README is the front door and docs/ the rest: every link the README makes into the repository reaches a file,
and every #anchor a heading of that page (mkdocs build --strict checks the links inside docs/; it does not read the
README)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """The anchor MkDocs (Python-Markdown's toc) gives a heading."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    found, fenced = set(), False
    for line in page.read_text("utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (heading := re.match(r"#{1,6} (.*)", line)):
            found.add(slug(heading[1]))
    return found


def readme_links() -> list[str]:
    text = re.sub(r"```.*?```", "", (REPO / "README.md").read_text("utf-8"), flags=re.DOTALL)
    return [link for link in LINK.findall(text) if not re.match(r"[a-z]+:", link)]


def test_every_readme_link_into_the_repository_resolves() -> None:
    links = readme_links()
    assert len(links) >= 20
    broken = []
    for link in links:
        path, _, anchor = link.partition("#")
        target = REPO / path if path else REPO / "README.md"
        if not target.is_file():
            broken.append(f"{link}: no such file")
        elif anchor and anchor not in anchors(target):
            broken.append(f"{link}: no heading with that anchor")
    assert broken == []


def test_the_readme_is_a_front_door_that_links_every_contract_area() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 300
    for page in ("environment", "cli", "configuration", "http"):
        assert f"(docs/reference/{page}.md)" in readme, page


def test_every_docs_page_is_in_the_nav() -> None:
    nav = (REPO / "mkdocs.yml").read_text("utf-8")
    pages = sorted(str(page.relative_to(REPO / "docs")) for page in (REPO / "docs").rglob("*.md"))
    assert [page for page in pages if f" {page}\n" not in nav] == []
