"""MkDocs hooks of Koko's documentation site (mkdocs.yml: ``hooks``).

- A link from a page to a file of the repository outside docs/ (``../core/tests/vectors/README.md``, which works
  when the page is read in the repository) becomes a link to that file in the repository's web view (``repo_url``,
  ``blob/main/…``, or ``tree/main/…`` for a folder), once checked that the file or folder exists: a link to one that
  does not is a warning, which ``mkdocs build --strict`` makes fatal, as it does for links between pages and their
  anchors (``validation`` in mkdocs.yml).
- The links of the root README.md and of the pages that moved into docs/ and point there (OUTSIDE) are checked
  the same way before the build: the files they name exist, and an anchor into a page names one of its headings.
- Rust blocks are shown as a reader writes them: rustdoc's hidden lines (``# fn main() …``), which keep the
  snippets compiling as doctests (core/src/lib.rs includes the pages that hold them), are left out, and
  ``rust,no_run`` is shown as ``rust``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from markdown.extensions.toc import slugify

log = logging.getLogger("mkdocs.hooks.koko")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]+)\)")
FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>```+|~~~+)(?P<info>.*)$")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")


def fence_after(line_match, fence):
    """The fence open after a line that is one (``line_match``), given the fence open before it (or None)."""
    if fence is None:
        return line_match["fence"]
    if line_match["fence"].startswith(fence) and not line_match["info"].strip():
        return None
    return fence


def anchors(markdown: str) -> set:
    """The ids Python-Markdown's toc gives the headings of a page (outside code blocks)."""
    found = set()
    fence = None
    for line in markdown.split("\n"):
        match = FENCE.match(line)
        if match:
            fence = fence_after(match, fence)
            continue
        if fence:
            continue
        heading = HEADING.match(line)
        if heading:
            title = LINK.sub(lambda m: m["text"], heading["title"])
            title = re.sub(r"[`*]", "", title)
            found.add(slugify(title, "-"))
    return found


# Pages outside docs/ that point into it: their links are checked too.
OUTSIDE = ["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md", "SCALING.md", "examples/django-api/README.md"]


def check_outside(name: str) -> None:
    page = ROOT / name
    for match in LINK.finditer(page.read_text(encoding="utf-8")):
        target = match["target"]
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve()
        if not file.exists():
            log.warning(f"{name} links to {target!r}, but {path} does not exist")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            log.warning(f"{name} links to {target!r}, but {path} has no heading with the anchor #{anchor}")


def on_config(config):
    for name in OUTSIDE:
        if (ROOT / name).exists():
            check_outside(name)
    return config


def repository_links(markdown: str, page_path: Path, repo_url: str) -> str:
    def rewrite(match: re.Match) -> str:
        target = match["target"]
        if not target.startswith("../"):
            return match[0]
        path, hash_, anchor = target.partition("#")
        resolved = (page_path.parent / path).resolve()
        try:
            relative = resolved.relative_to(ROOT)
        except ValueError:
            log.warning(f"{page_path.relative_to(ROOT)} links to {target!r}, outside the repository")
            return match[0]
        if DOCS in resolved.parents or resolved == DOCS:
            return match[0]
        if not resolved.exists():
            log.warning(f"{page_path.relative_to(ROOT)} links to {target!r}, but {relative} does not exist")
            return match[0]
        kind = "tree" if resolved.is_dir() else "blob"
        return f"[{match['text']}]({repo_url}/{kind}/main/{relative.as_posix()}{hash_}{anchor})"

    out = []
    fence = None
    for line in markdown.split("\n"):
        match = FENCE.match(line)
        if match:
            fence = fence_after(match, fence)
        out.append(line if fence or match else LINK.sub(rewrite, line))
    return "\n".join(out)


def rust_as_read(markdown: str) -> str:
    out = []
    in_rust = None
    for line in markdown.split("\n"):
        match = FENCE.match(line)
        if match and in_rust is None and match["info"].strip().split(",")[0] == "rust":
            in_rust = match["fence"]
            out.append(f"{match['indent']}{match['fence']}rust")
            continue
        if in_rust is not None:
            if match and match["fence"].startswith(in_rust) and not match["info"].strip():
                in_rust = None
            elif line.strip() == "#" or line.strip().startswith("# "):
                continue
        out.append(line)
    return "\n".join(out)


def on_page_markdown(markdown, page, config, files):
    page_path = Path(page.file.abs_src_path)
    markdown = repository_links(markdown, page_path, config["repo_url"].rstrip("/"))
    return rust_as_read(markdown)
