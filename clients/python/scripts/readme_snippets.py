"""Extracts the runnable snippets of clients/python/README.md for quickstart.sh.

Usage: readme_snippets.py README.md OUTDIR. Writes into OUTDIR:
- ``install.sh``: the ```sh blocks of the "In your own project" section, in order (how a
  user installs the wheel; quickstart.sh runs them as they are);
- ``NN.py`` for every ```python block (each a whole program) and ``NN.expected``: the
  ```text block that follows it before any other code block (what the program prints,
  exactly), empty when there is none;
- ``NN.title``: the heading the block is under, for messages.
Prints how many programs it wrote. Fails when the README has no python block or no install
block, so that a renamed section cannot make the check pass by running nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FENCE = re.compile(r"^```(\w*)\s*$")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$")
INSTALL_SECTION = "In your own project"


def blocks(text: str) -> list[tuple[str, str, str]]:
    """Every fenced block as (heading it is under, language, body)."""
    found: list[tuple[str, str, str]] = []
    heading, language, body = "", None, []
    for line in text.splitlines():
        if language is None:
            if match := HEADING.match(line):
                heading = match.group(1)
            elif match := FENCE.match(line):
                language, body = match.group(1), []
        elif line.strip() == "```":
            found.append((heading, language, "\n".join(body) + "\n"))
            language = None
        else:
            body.append(line)
    if language is not None:
        sys.exit(f"readme_snippets: a code block under {heading!r} is not closed")
    return found


def main() -> None:
    readme, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    found = blocks(readme.read_text(encoding="utf-8"))
    install = [body for heading, language, body in found if heading == INSTALL_SECTION and language == "sh"]
    if not install:
        sys.exit(f"readme_snippets: no ```sh block under '## {INSTALL_SECTION}' in {readme}")
    (out / "install.sh").write_text("".join(install), encoding="utf-8")
    programs = 0
    for index, (heading, language, body) in enumerate(found):
        if language != "python":
            continue
        programs += 1
        expected = ""
        for _, next_language, next_body in found[index + 1 :]:
            if next_language == "text":
                expected = next_body
            break
        stem = out / f"{programs:02d}"
        stem.with_suffix(".py").write_text(body, encoding="utf-8")
        stem.with_suffix(".expected").write_text(expected, encoding="utf-8")
        stem.with_suffix(".title").write_text(heading, encoding="utf-8")
    if programs == 0:
        sys.exit(f"readme_snippets: no ```python block in {readme}")
    print(programs)


if __name__ == "__main__":
    main()
