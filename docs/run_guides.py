#!/usr/bin/env python3
"""Runs every command of the documentation's guides and checks what they print (scripts/areas/docs.sh runs it).

    python3 docs/run_guides.py --bin target/debug --venv target/django-venv [PAGE.md ...]

What runs (every page of docs/ is read, and the root README.md):

- ```console blocks: each line starting with ``$ `` is a command (a line ending in ``\\`` goes on to the next; a
  here-document runs to its end marker). The lines after a command, if any, are what it prints: each must match a
  line of the actual output (standard output and error together), in order, with ``...`` in a line matching any
  text; lines of the actual output may be left out. A command must exit 0, unless the next command is
  ``echo $?``, whose printed line then checks the status.
- ```pycon blocks: ``>>>`` sessions, run by doctest (ELLIPSIS on) in one Python interpreter per page (the venv's,
  which has the koko wheel), so names carry from one block to the next.
- A block right after ``<!-- guide: skip: REASON -->`` is not run: each of its commands is printed and counted
  as skipped, with the reason. Only for commands that cannot run here.
- ```bash, ```sh and ```shell blocks are refused in guides: a command a reader is told to type is run. The pages in
  NOT_GUIDES (the developer's loop, the benchmarks) hold commands for reference and are not run.

Each page runs in a fresh scratch folder holding a symbolic link to each top-level entry of the repository, so a
guide's commands read the repository as they would from its root (``cd examples/django-api``,
``pip install ./bindings-python``) while what they create (a store, a CSV file, a venv) lands in the scratch
folder. ``cd`` resolves those links (bash's ``set -o physical``, passed on to scripts), so a command standing in
the repository stands in the real one. One bash process runs a page's commands in order, so ``cd``, ``export``
and files carry from one command to the next. PATH starts with the built ``koko`` (--bin) and the venv (--venv:
Python with the koko wheel, Django and the API's requirements). Variables KOKO_* and DJANGO_* of the caller's
environment are not passed on.

A page holding ``<!-- guide: server -->`` gets the REST API running beside it: ``python manage.py runserver
127.0.0.1:PORT --noreload`` in examples/django-api with DJANGO_DEBUG=1, on a free port, over a fresh sled store in
the scratch folder. The page's shell gets ``KOKO_API`` (the server's URL) and ``KOKO_STORE`` (its store, whose
Django database lies beside it); ``http://127.0.0.1:8000`` (runserver's own address) in a command stands for the
server's URL; and the server is stopped when the page ends, whatever happens.

The root README.md is run too (its three ways in); its quick start (```bash) is the demo, which scripts/test's
area demo runs, and the test command itself.

Prints each page's count, each failure with the command, what was expected and what it printed, and at the end
``docs: N commands run from G guides (S shell, P Python), F failed, K skipped``. Exits 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Pages whose shell blocks are references, not steps to follow: they are not run (and say so on the page).
NOT_GUIDES = {"contributing.md": "the developer's loop: these are scripts/test and its areas",
              "guarantees.md": "the benchmarks: minutes each; scripts/test bench runs them as --quick smoke runs"}
SHELL_LANGS = {"bash", "sh", "shell", "zsh"}
FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
SKIP = re.compile(r"^\s*<!--\s*guide:\s*skip:\s*(?P<reason>.+?)\s*-->\s*$")
SERVER = re.compile(r"^\s*<!--\s*guide:\s*server\s*-->\s*$", re.M)
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<word>[A-Za-z_][A-Za-z0-9_]*)\1")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RUNSERVER_URL = "http://127.0.0.1:8000"  # runserver's address: in a page beside the API, the test's server
COMMAND_TIMEOUT = 900  # seconds: a cold `pip install ./bindings-python` builds the extension in release mode


@dataclass
class Step:
    """One thing to run: a shell command (``kind`` "shell") or a pycon block (``kind`` "python")."""

    kind: str
    text: str
    line: int
    expected: List[str] = field(default_factory=list)
    skip: Optional[str] = None


@dataclass
class Page:
    path: Path
    steps: List[Step]
    server: bool
    refused: List[str]
    rust_blocks: int = 0

    @property
    def name(self) -> str:
        return self.path.relative_to(DOCS if DOCS in self.path.parents else ROOT).as_posix()


def blocks(text: str):
    """(info string, first content line number, content lines, skip reason) of each fenced block, in order."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, info = len(match["indent"]), match["fence"], match["info"].strip()
        start = i + 1
        j = start
        while j < len(lines) and not (lines[j].strip().startswith(fence) and lines[j].strip().strip(fence[0]) == ""):
            j += 1
        body = [line[indent:] if line[:indent].strip() == "" else line for line in lines[start:j]]
        k = i - 1
        while k >= 0 and lines[k].strip() == "":
            k -= 1
        skip = SKIP.match(lines[k]) if k >= 0 else None
        yield info, start + 1, body, skip["reason"] if skip else None
        i = j + 1


def console_steps(body: List[str], first_line: int, skip: Optional[str]) -> List[Step]:
    """The commands of a ```console block, each with the output lines shown after it."""
    steps: List[Step] = []
    i = 0
    while i < len(body):
        line = body[i]
        if not line.startswith("$ "):
            if steps:
                steps[-1].expected.append(line)
            elif line.strip():
                raise ValueError(f"line {first_line + i}: output before any command: {line!r}")
            i += 1
            continue
        number = first_line + i
        command = [line[2:]]
        i += 1
        while command[-1].endswith("\\") and i < len(body):
            command.append(body[i])
            i += 1
        heredoc = HEREDOC.search("\n".join(command))
        if heredoc:
            while i < len(body) and body[i].strip() != heredoc["word"]:
                command.append(body[i])
                i += 1
            if i == len(body):
                raise ValueError(f"line {number}: the here-document never ends with {heredoc['word']}")
            command.append(body[i])
            i += 1
        steps.append(Step("shell", "\n".join(command), number, skip=skip))
    return steps


def read_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    steps: List[Step] = []
    refused: List[str] = []
    rust_blocks = 0
    name = path.relative_to(DOCS if DOCS in path.parents else ROOT).as_posix()
    # The README's quick start (```bash) is the demo, run by scripts/test's area demo, and the test command itself.
    guide = name not in NOT_GUIDES and name != "README.md"
    for info, line, body, skip in blocks(text):
        lang = info.split()[0].split(",")[0].lower() if info else ""
        if lang == "rust":
            rust_blocks += 1
        elif lang == "console":
            steps.extend(console_steps(body, line, skip))
        elif lang == "pycon":
            steps.append(Step("python", "\n".join(body) + "\n", line, skip=skip))
        elif lang in SHELL_LANGS and guide:
            refused.append(f"line {line}: a ```{lang} block in a guide: write its commands in a ```console block "
                           "(run by this test), or a file in its own language")
    return Page(path, steps, bool(SERVER.search(text)), refused, rust_blocks)


def doctest_pages() -> set:
    """The pages core/src/lib.rs includes as doctests (``#[doc = include_str!("../../docs/rust.md")]``)."""
    lib = (ROOT / "core" / "src" / "lib.rs").read_text(encoding="utf-8")
    return {(ROOT / "core" / "src" / found).resolve() for found in re.findall(r'include_str!\("([^"]+\.md)"\)', lib)}


def matches(expected: List[str], actual: List[str]) -> Optional[str]:
    """None when every expected line matches an actual line, in order; else the first expected line that does not."""
    position = 0
    for wanted in expected:
        wanted = wanted.rstrip()
        if not wanted.strip() or wanted.strip() in ("...", "…"):
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in wanted.split("...")))
        while position < len(actual) and not pattern.fullmatch(actual[position].rstrip()):
            position += 1
        if position == len(actual):
            return wanted
        position += 1
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Shell:
    """One bash process that runs a page's commands in order; each command's output and exit status."""

    def __init__(self, cwd: Path, env: dict):
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        self.lines: "queue.Queue[Optional[str]]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        # The scratch folder reaches the repository through symbolic links: resolve them on `cd`, here and in the
        # bash scripts a guide runs (SHELLOPTS), so a script that finds the repository from its own path
        # (bindings-wasm/build.sh) finds the real one, as it does for a reader, and cargo sees the real workspace.
        self.run("set -o physical; export SHELLOPTS", 30)

    def _read(self) -> None:
        for raw in self.proc.stdout:
            self.lines.put(ANSI.sub("", raw.decode("utf-8", "replace")).rstrip("\n").rstrip("\r"))
        self.lines.put(None)

    def run(self, command: str, timeout: float):
        """(exit status, output lines); the status is None when the command timed out or the shell ended."""
        marker = f"__guide_done_{uuid.uuid4().hex}"
        script = (f"{{\n{command}\n}} < /dev/null 2>&1\n"
                  f"__guide_rc=$?; printf '\\n%s %s\\n' {marker} \"$__guide_rc\"; (exit $__guide_rc)\n")
        try:
            self.proc.stdin.write(script.encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            return None, ["(the shell has ended)"]
        out: List[str] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                return None, out + [f"(no answer after {timeout:.0f} s: stopped)"]
            if line is None:
                return None, out + ["(the shell has ended)"]
            if line.startswith(marker + " "):
                if out and out[-1] == "":
                    out.pop()
                return int(line.split()[1]), out
            out.append(line)

    def close(self) -> None:
        """Ends the shell and everything it started (its process group: background jobs too)."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


PYTHON_DRIVER = r"""
import doctest, json, sys
globs = {"__name__": "__guide__"}
parser = doctest.DocTestParser()
flags = doctest.ELLIPSIS
for request in sys.stdin:
    request = json.loads(request)
    test = parser.get_doctest(request["text"], globs, request["name"], request["file"], request["line"] - 1)
    report = []
    runner = doctest.DocTestRunner(optionflags=flags)
    result = runner.run(test, out=report.append, clear_globs=False)
    globs = test.globs  # a DocTest runs on a copy: carry its names to the next block
    print(json.dumps({"failed": result.failed, "attempted": result.attempted, "report": "".join(report)}), flush=True)
"""


class Python:
    """One interpreter that runs a page's pycon blocks in order, sharing their names."""

    def __init__(self, python: str, cwd: Path, env: dict):
        self.proc = subprocess.Popen([python, "-c", PYTHON_DRIVER], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)

    def run(self, step: Step, page: Page, timeout: float) -> dict:
        request = {"text": step.text, "name": f"{page.name}:{step.line}", "file": str(page.path), "line": step.line}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=lambda: answer.put(self.proc.stdout.readline()), daemon=True).start()
        try:
            line = answer.get(timeout=timeout)
        except queue.Empty:
            return {"failed": 1, "attempted": 0, "report": f"no answer after {timeout:.0f} s"}
        if not line:
            return {"failed": 1, "attempted": 0, "report": "the interpreter has ended"}
        return json.loads(line)

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


class ApiServer:
    """The REST API (runserver) on a free port over a fresh sled store in ``scratch``, until stop()."""

    def __init__(self, python: str, scratch: Path, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = scratch / "koko-data"
        self.log_path = scratch / "runserver.log"
        server_env = {**env, "DJANGO_DEBUG": "1", "KOKO_STORE": str(self.store)}
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [python, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT / "examples" / "django-api", env=server_env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url + "/health/", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the REST API did not start:\n" + self.log_path.read_text()[-3000:])
            time.sleep(0.2)

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def scratch_folder(base: Path, page: Page) -> Path:
    """A fresh folder for the page, with a link to each top-level entry of the repository."""
    folder = Path(tempfile.mkdtemp(prefix=page.path.stem + "-", dir=base))
    for entry in ROOT.iterdir():
        if entry.name not in (".git", "target"):
            (folder / entry.name).symlink_to(entry)
    (folder / "target").symlink_to(ROOT / "target")
    return folder


def clean_env(bin_dir: Path, venv: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KOKO_", "DJANGO_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = os.pathsep.join([str(bin_dir), str(venv / "bin"), env.get("PATH", "")])
    env.update({"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1", "TERM": "dumb",
                "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"})
    return env


def show(lines: List[str], limit: int = 40) -> str:
    shown = lines if len(lines) <= limit else lines[:limit] + [f"… ({len(lines) - limit} more lines)"]
    return "\n".join("      | " + line for line in shown) or "      | (nothing)"


def run_page(page: Page, base: Path, env: dict, python: str, totals: dict, verbose: bool = False) -> None:
    started = time.monotonic()
    scratch = scratch_folder(base, page)
    page_env = dict(env)
    server = None
    counts = {"shell": 0, "python": 0, "skipped": 0}
    shell: Optional[Shell] = None
    interpreter: Optional[Python] = None
    failed_at = None
    try:
        if page.server:
            server = ApiServer(python, scratch, env)
            page_env.update({"KOKO_API": server.url, "KOKO_STORE": str(server.store)})
        shell = Shell(scratch, page_env)
        for index, step in enumerate(page.steps):
            if step.skip:
                counts["skipped"] += 1
                first = step.text.split("\n")[0]
                print(f"  skipped (line {step.line}): $ {first}  — {step.skip}")
                continue
            if step.kind == "python":
                if interpreter is None:
                    # The page's own Python (a venv it made and activated, if any), where its shell stands.
                    _, found = shell.run('command -v python; pwd -P', 60)
                    here = Path(found[-1]) if found else scratch
                    own = found[0] if len(found) == 2 and found[0].startswith("/") else python
                    interpreter = Python(own, here, page_env)
                result = interpreter.run(step, page, COMMAND_TIMEOUT)
                counts["python"] += result["attempted"]
                if result["failed"]:
                    failed_at = step
                    print(f"FAILED {page.name}, the Python session at line {step.line}:\n{result['report']}")
                    break
                continue
            command = step.text.replace(RUNSERVER_URL, server.url) if server else step.text
            status, output = shell.run(command, COMMAND_TIMEOUT)
            counts["shell"] += 1
            if verbose:
                print(f"  $ {step.text}\n{show(output)}\n      (exit status {status})")
            following = next((s for s in page.steps[index + 1:] if s.kind == "shell" and not s.skip), None)
            status_checked = following is not None and following.text.strip() == "echo $?"
            problem = None
            if status is None:
                problem = "it did not finish"
            elif status != 0 and not status_checked:
                problem = f"it exited {status} (show `$ echo $?` after it when that is expected)"
            else:
                missing = matches(step.expected, output)
                if missing is not None:
                    problem = f"its output lacks the line {missing!r} (in order)"
            if problem:
                failed_at = step
                expected = [line for line in step.expected if line.strip()]
                print(f"FAILED {page.name}, line {step.line}: {problem}\n    $ {step.text}\n"
                      f"    expected:\n{show(expected)}\n    printed:\n{show(output)}")
                break
    except (RuntimeError, ValueError) as err:
        failed_at = failed_at or Step("shell", "(set-up)", 0)
        print(f"FAILED {page.name}: {err}")
    finally:
        if interpreter:
            interpreter.close()
        if shell:
            shell.close()
        if server:
            server.stop()
    not_run = 0
    if failed_at is not None:
        not_run = sum(1 for s in page.steps if s.line > failed_at.line and not s.skip)
        totals["failed"] += 1
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    totals["shell"] += counts["shell"]
    totals["python"] += counts["python"]
    totals["skipped"] += counts["skipped"]
    note = f"; {not_run} steps not run after the failure (scratch folder kept: {scratch})" if not_run else ""
    server_note = ", beside the REST API" if page.server else ""
    print(f"{page.name}: {counts['shell']} commands, {counts['python']} Python examples{server_note}"
          f"{', ' + str(counts['skipped']) + ' skipped' if counts['skipped'] else ''}{note}"
          f" ({time.monotonic() - started:.0f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", type=Path, default=ROOT / "target" / "debug", help="the folder of the built koko")
    parser.add_argument("--venv", type=Path, default=ROOT / "target" / "django-venv",
                        help="a venv with the koko wheel and the REST API's requirements")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every command's output")
    parser.add_argument("pages", nargs="*", help="only these pages (names under docs/)")
    args = parser.parse_args()
    koko = args.bin.resolve() / "koko"
    python = str(args.venv.resolve() / "bin" / "python")
    if not koko.exists():
        print(f"no koko at {koko}: build it first (cargo build -p koko-cli)", file=sys.stderr)
        return 2
    if not Path(python).exists():
        print(f"no venv at {args.venv}: scripts/test makes it (ensure_django)", file=sys.stderr)
        return 2
    paths = [ROOT / "README.md"] + sorted(DOCS.rglob("*.md"))
    if args.pages:
        paths = [ROOT / name if name == "README.md" else DOCS / name for name in args.pages]
    pages = [read_page(path) for path in paths]
    included = doctest_pages()
    for page in pages:
        if page.rust_blocks and page.path.resolve() not in included:
            page.refused.append(f"{page.rust_blocks} ```rust blocks, but core/src/lib.rs does not include the page as "
                                "doctests: add a #[cfg(doctest)] struct with #[doc = include_str!(…)] for it")
    refused = [f"{page.name}: {problem}" for page in pages for problem in page.refused]
    if refused:
        print("\n".join(refused), file=sys.stderr)
        return 1
    env = clean_env(args.bin.resolve(), args.venv.resolve())
    totals = {"shell": 0, "python": 0, "skipped": 0, "failed": 0}
    guides = [page for page in pages if page.steps]
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="koko-guides-"))  # a failed page's folder stays, for a look
    for page in guides:
        run_page(page, base, env, python, totals, args.verbose)
    if not any(base.iterdir()):
        base.rmdir()
    rust = [page for page in pages if page.rust_blocks]
    if rust:
        print(f"Rust: {sum(p.rust_blocks for p in rust)} examples in {', '.join(p.name for p in rust)}, "
              "run as doctests by cargo test -p koko-core --doc (core/src/lib.rs includes each page)")
    for name, reason in NOT_GUIDES.items():
        if (DOCS / name).exists() and (not args.pages or name in args.pages):
            print(f"{name}: not a guide, its commands are not run ({reason})")
    run = totals["shell"] + totals["python"]
    print(f"guides ran in {time.monotonic() - started:.0f} s")
    print(f"docs: {run} commands run from {len(guides)} guides ({totals['shell']} shell, {totals['python']} Python), "
          f"{totals['failed']} failed, {totals['skipped']} skipped")
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
