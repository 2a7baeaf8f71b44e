"""Run every fenced code block of the docs, the way a reader would use it: the harness behind
``tests/test_docs_snippets.py``.

The pages are ``README.md``, ``docs/**/*.md`` and the example plugin's README. A page runs in a sandbox of its
own: a temporary directory standing for the root of a clone (it holds a copy of ``examples/``), with a
temporary ``HOME`` (so caches land there), ``PATH`` the test environment's executables and the system's,
no credential variables, and no network but loopback (a ``sitecustomize`` on ``PYTHONPATH`` makes any other
host fail to resolve). Blocks run in page order and share the page's shell state (variables, directory,
emulators in the background), so a page can build on what it did before.

Every block is covered by exactly one rule of its language; a block no rule covers fails the test:

``python``
    A block with ``title="PATH"`` is a file: it is written to the sandbox at ``PATH``, run with ``python``, and
    a ``test_*.py`` is run with ``pytest`` instead (it must pass). A block without a title is a script, run
    with ``python`` (it must exit 0). Every Python block of a page is then type-checked with
    ``mypy --strict``. A block may be ``--8<-- "path"`` (pymdownx.snippets, as the site includes it): it is
    that file of the repository. A block that includes a section (``--8<-- "path:name"``, between the file's
    ``# --8<-- [start:name]`` and ``# --8<-- [end:name]`` lines) is a fragment: it is checked as the whole
    file, which the same page must include whole.
``sh`` / ``bash``
    Each command (a line; ``\\`` continues it; ``&&`` and ``;`` separate commands) is run or checked by the
    rule of its first word:

    - ``planpilot-providers ...``: run for real with bash. It must exit 0, or what its comment says
      (``# exits 5: ...``). A ``sync`` or ``check`` against a real tracker (a provider other than the dry
      run, without a loopback ``--api-url``) gets as far as the network: exit 3, naming the host it could
      not reach (so every flag and option was accepted before).
    - a command ending in ``&`` (an emulator): started in the background, on a free port: its ``--port N``
      becomes ``--port 0``, the port it reports replaces ``N`` in the page's later commands; stopped when
      the page ends.
    - ``export NAME=VALUE``, ``cd DIR``: change the page's shell state. A value ``...`` (a placeholder for
      your own credential) becomes a dummy credential.
    - ``pip install ...`` (and ``python -m pip install``): not run, so the test environment stays as it
      is; checked instead: every local path holds a ``pyproject.toml``, every extra named is one of its
      extras, every distribution named (by path or by name) is installed in the test environment at the
      version its ``pyproject.toml`` gives (so the commands after it run against what it installs); a
      name that is not ours must be pinned in ``constraints.txt``, and a ``-c FILE`` must exist.
    - ``python -m venv DIR`` and ``. DIR/bin/activate``: not run; the test environment is that virtualenv.
    - ``nox -s NAME...``: not run (CI runs every session); each session must exist in ``noxfile.py``.
    - ``pytest PATH...``: collected, not run (``--collect-only``: at least one test; ``nox -s example``
      runs them).
``text`` titled ``Output``
    What the shell block before it printed: each line (but ``...``) must appear in its output, in order.
``text`` or no language
    Prose laid out as code (a file tree, a query, a table of output): not run, but it may hold no command
    a shell rule knows, so nothing runnable hides in it.
``toml``, ``json``
    Parsed; with a title, written to the sandbox at that path (a ``pyproject.toml``, a plan file).

Any other language fails: add a rule here first.

The reference pages (``docs/reference/``) render docstrings (``::: module``), and a docstring's example (a reST
literal block after ``::``) is on the site too. It is a sketch, often of a plugin that does not exist
(``JiraProvider``), so it is not run: it must compile as Python (top-level ``await`` allowed).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import attrs

REPO: Final = Path(__file__).resolve().parents[1]
PAGES: Final = ("README.md", "docs/**/*.md", "examples/planpilot-provider-tracklet/README.md")
"""Globs of the pages whose blocks run, from the repository root."""

PLACEHOLDER_CREDENTIAL: Final = "placeholder-credential-0123456789abcdef"
"""What a ``...`` value of ``export NAME=...`` becomes: long enough to pass the credential checks."""
COMMAND_TIMEOUT: Final = 180.0
LOOPBACK_HOSTS: Final = ("127.0.0.1", "localhost", "[::1]")
SHELL_WORDS: Final = frozenset(
    {"planpilot-providers", "pip", "pip3", "python", "python3", "nox", "pytest", "export", "cd", "git", "source"}
)
"""First words of commands the shell rules know: none may hide in a ``text`` block."""

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_TITLE = re.compile(r'title="([^"]*)"')
_INCLUDE = re.compile(r'^\s*--8<--\s+"([^"]+)"\s*$')
_EXIT = re.compile(r"\bexits? (\d+)\b")
_URL_PORT = re.compile(r"http://127\.0\.0\.1:(\d+)")
_SECTION = "# --8<-- [{}:{}]"

NETWORK_GUARD: Final = '''\
"""Put on PYTHONPATH by the docs harness: no host but loopback resolves, so no snippet reaches the network."""
import socket

_getaddrinfo = socket.getaddrinfo


def _loopback_only(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and name not in ("localhost", "::1") and not str(name).startswith("127."):
        raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known ({name}: the docs sandbox has no network)")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _loopback_only
'''


class SnippetError(AssertionError):
    """A block did not do what its page says; the message names the page, the line and the rule."""


@attrs.frozen
class Block:
    """One fenced block of a page, includes expanded."""

    page: Path
    line: int
    lang: str
    title: str | None
    code: str
    includes: tuple[str, ...] = ()
    """The ``--8<--`` targets the block was made of (``path`` or ``path:section``)."""

    @property
    def where(self) -> str:
        return f"{shown(self.page)}:{self.line}"

    @property
    def is_fragment(self) -> bool:
        return any(":" in target for target in self.includes)


def shown(path: Path) -> str:
    """A path as messages show it: from the repository root when it is in the repository."""
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def pages() -> list[Path]:
    """Every page whose blocks the tests run, in a stable order."""
    found = {path for pattern in PAGES for path in REPO.glob(pattern)}
    return sorted(found)


def include(target: str) -> str:
    """What pymdownx.snippets puts in place of ``--8<-- "target"``: a file (section marker lines left out) or
    one section of it."""
    path_text, _, section = target.partition(":")
    path = REPO / path_text
    if not path.is_file():
        raise SnippetError(f'--8<-- "{target}": no file {path_text} in the repository')
    lines = path.read_text().splitlines()
    if not section:
        return "\n".join(line for line in lines if "--8<-- [" not in line) + "\n"
    start, end = _SECTION.format("start", section), _SECTION.format("end", section)
    stripped = [line.strip() for line in lines]
    if start not in stripped or end not in stripped:
        raise SnippetError(f'--8<-- "{target}": {path_text} has no section {section!r} ({start} ... {end})')
    body = lines[stripped.index(start) + 1 : stripped.index(end)]
    return "\n".join(line for line in body if "--8<-- [" not in line) + "\n"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, in order. An unclosed fence is an error."""
    lines = page.read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, info = opening.group("indent", "fence", "info")
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines):
            line = lines[index]
            if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(fence[0]):
                break
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            index += 1
        else:
            raise SnippetError(f"{shown(page)}:{start + 1}: the fence {fence} is never closed")
        index += 1
        words = info.strip().split()
        lang = words[0].lstrip("{.").rstrip("}") if words and "=" not in words[0] else ""
        title = _TITLE.search(info)
        targets = [m.group(1) for m in map(_INCLUDE.match, body) if m]
        code = "\n".join(body) + "\n"
        if targets and len(targets) == len([line for line in body if line.strip()]):
            code = "".join(include(target) for target in targets)
        found.append(Block(page, start + 1, lang, title.group(1) if title else None, code, tuple(targets)))
    return found


_AUTODOC = re.compile(r"^::: ([\w.]+)", re.M)


def documented_modules() -> list[str]:
    """The modules the reference pages render (``::: module``), in page order."""
    return [
        m for page in sorted((REPO / "docs" / "reference").glob("*.md")) for m in _AUTODOC.findall(page.read_text())
    ]


def docstring_examples(module: str) -> list[tuple[str, str]]:
    """``(where, code)`` of every reST literal block (``text::`` then an indented block) in the docstrings of
    ``module`` (its source, read without importing it), the module's own, its classes' and functions'."""
    import ast
    import importlib.util
    import textwrap

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise SnippetError(f"the reference pages document {module}, which cannot be found")
    source = Path(spec.origin)
    tree = ast.parse(source.read_text())
    found = []
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef))]
    for node in nodes:
        docstring = ast.get_docstring(node, clean=True)
        if not docstring:
            continue
        lines = docstring.splitlines()
        for index, line in enumerate(lines):
            if not line.rstrip().endswith("::"):
                continue
            body: list[str] = []
            for following in lines[index + 1 :]:
                if following.strip() and not following.startswith((" ", "\t")):
                    break
                body.append(following)
            name = getattr(node, "name", module)
            found.append((f"{shown(source)}: docstring of {name}", textwrap.dedent("\n".join(body)).strip() + "\n"))
    return found


def check_compiles(where: str, code: str) -> None:
    import ast

    try:
        compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as exc:
        raise SnippetError(f"{where}: its example does not compile: {exc}\n{code}") from None


# -- shell lines --------------------------------------------------------------------------------------------


def split_comment(line: str) -> tuple[str, str]:
    """``(code, comment)`` of one shell line: the comment starts at a ``#`` outside quotes after a blank."""
    quote = ""
    for position, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or line[position - 1].isspace()):
            return line[:position].rstrip(), line[position + 1 :].strip()
    return line.rstrip(), ""


def logical_lines(code: str) -> Iterator[tuple[str, str]]:
    """``(command text, comment)`` per logical line: ``\\`` continuations joined, blank lines skipped."""
    pending = ""
    comments: list[str] = []
    for raw in code.splitlines():
        text, comment = split_comment(raw)
        if comment:
            comments.append(comment)
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        text = (pending + text).strip()
        pending = ""
        if text:
            yield text, " ".join(comments)
        comments = []


def split_commands(text: str) -> list[str]:
    """The commands of one line, split at ``&&`` and ``;`` outside quotes (a trailing ``&`` stays on its
    command, meaning "in the background")."""
    parts: list[str] = []
    quote = ""
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif text.startswith("&&", index) or char == ";":
            parts.append(current.strip())
            current = ""
            index += 2 if char == "&" else 1
            continue
        current += char
        index += 1
    parts.append(current.strip())
    return [part for part in parts if part]


def words_of(command: str) -> list[str]:
    """The command's words, leading ``NAME=value`` assignments left out."""
    words = shlex.split(command.rstrip("&").strip())
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        words.pop(0)
    return words


def python_module(words: Sequence[str]) -> tuple[str | None, list[str]]:
    """``(module, its arguments)`` of ``python[3] -m module ...``; ``(None, [])`` for anything else."""
    if len(words) >= 3 and words[0] in ("python", "python3") and words[1] == "-m":
        return words[2], list(words[3:])
    return None, []


def nox_sessions() -> set[str]:
    """The sessions ``noxfile.py`` defines (functions decorated with ``nox.session``)."""
    import ast

    tree = ast.parse((REPO / "noxfile.py").read_text())
    sessions = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target) == "nox.session":
                    sessions.add(node.name)
    return sessions


def our_projects() -> dict[str, Path]:
    """Every distribution of the repository: its name -> its directory."""
    projects = {}
    for pyproject in [
        REPO / "pyproject.toml",
        *REPO.glob("plugins/*/pyproject.toml"),
        *REPO.glob("examples/*/pyproject.toml"),
    ]:
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        projects[name] = pyproject.parent
    return projects


def locked() -> dict[str, str]:
    """``constraints.txt``: normalised name -> pinned version."""
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[normalise(name)] = version.strip()
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


_REQUIREMENT = re.compile(r"^(?P<target>[^\[<>=!~;]+)(?:\[(?P<extras>[^\]]*)\])?(?P<spec>[<>=!~].*)?$")


def check_pip_install(arguments: Sequence[str], cwd_in_repo: Path) -> list[str]:
    """What is wrong with ``pip install ARGUMENTS`` run from ``cwd_in_repo``; checks what it would install."""
    problems: list[str] = []
    projects = our_projects()
    by_directory = {directory.resolve(): name for name, directory in projects.items()}
    pins = locked()
    words = list(arguments)
    while words:
        word = words.pop(0)
        if word in ("-c", "--constraint", "-r", "--requirement"):
            path = cwd_in_repo / words.pop(0)
            if not path.is_file():
                problems.append(f"{word} {path.relative_to(REPO)}: no such file")
            continue
        if word in ("-e", "--editable", "-U", "--upgrade", "-q", "--quiet"):
            continue
        if word.startswith("-"):
            problems.append(f"pip option {word} has no rule in the docs harness")
            continue
        match = _REQUIREMENT.match(word)
        if match is None:
            problems.append(f"{word!r} is not a requirement")
            continue
        target = match.group("target")
        extras = [e.strip() for e in (match.group("extras") or "").split(",") if e.strip()]
        if target.startswith((".", "/")) or "/" in target:
            directory = (cwd_in_repo / target).resolve()
            if directory not in by_directory:
                problems.append(f"{target}: not a distribution of this repository (no pyproject.toml there)")
                continue
            name = by_directory[directory]
        elif normalise(target) in {normalise(n) for n in projects}:
            name = next(n for n in projects if normalise(n) == normalise(target))
        else:
            if normalise(target) not in pins:
                problems.append(f"{target}: neither a distribution of this repository nor pinned in constraints.txt")
            continue
        meta = tomllib.loads((projects[name] / "pyproject.toml").read_text())["project"]
        for extra in extras:
            if extra not in meta.get("optional-dependencies", {}):
                problems.append(f"{word}: {name} has no extra {extra!r}")
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed in the test environment, so the commands after it cannot run")
            continue
        if installed != meta["version"]:
            problems.append(f"{name}: the test environment has {installed}, its pyproject.toml says {meta['version']}")
    return problems


# -- the page runner ----------------------------------------------------------------------------------------


@attrs.define
class Background:
    process: subprocess.Popen[bytes]
    log: Path
    command: str


@attrs.define
class PageRun:
    """The shell state of one page's sandbox, and the rules that run its blocks."""

    sandbox: Path
    mypy_cache: Path
    env: dict[str, str] = attrs.field(factory=dict)
    cwd: Path = attrs.field(default=Path("."))
    ports: dict[str, str] = attrs.field(factory=dict)
    background: list[Background] = attrs.field(factory=list)
    last_output: str | None = None
    python_files: list[tuple[Block, Path]] = attrs.field(factory=list)
    whole_files: set[str] = attrs.field(factory=set)
    fragments: list[Block] = attrs.field(factory=list)

    @classmethod
    def create(cls, sandbox: Path, mypy_cache: Path) -> PageRun:
        shutil.copytree(
            REPO / "examples", sandbox / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
        guard = sandbox / ".network-guard"
        guard.mkdir()
        (guard / "sitecustomize.py").write_text(NETWORK_GUARD)
        home = sandbox / ".home"
        home.mkdir()
        env = {
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(guard),
            "COLUMNS": "120",
        }
        return cls(sandbox=sandbox, mypy_cache=mypy_cache, env=env, cwd=sandbox)

    # -- the whole page --

    def run_page(self, page: Path) -> None:
        try:
            previous: Block | None = None
            for block in blocks(page):
                self.run_block(block, previous)
                previous = block
            self.check_fragments()
            self.typecheck()
        finally:
            self.stop_background()

    def run_block(self, block: Block, previous: Block | None) -> None:
        if block.lang == "python":
            self.python(block)
        elif block.lang in ("sh", "bash"):
            self.shell(block)
        elif block.lang in ("text", "") and (block.title or "").lower() == "output":
            self.output(block, previous)
        elif block.lang in ("text", ""):
            self.text(block)
        elif block.lang == "toml":
            self.structured(block, tomllib.loads)
        elif block.lang == "json":
            self.structured(block, json.loads)
        else:
            raise SnippetError(f"{block.where}: no rule runs a {block.lang!r} block; see tools/docs_snippets.py")

    # -- python --

    def python(self, block: Block) -> None:
        if block.is_fragment:
            self.fragments.append(block)
            return
        if len(block.includes) == 1:
            self.whole_files.add(block.includes[0])
        if block.title:
            path = self.sandbox / block.title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.code)
        else:
            path = self.sandbox / ".snippets" / f"block_{block.page.stem.replace('-', '_')}_{block.line}.py"
            path.parent.mkdir(exist_ok=True)
            path.write_text(block.code)
        self.python_files.append((block, path))
        if path.name.startswith("test_"):
            argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path.relative_to(self.sandbox))]
            result = self.execute(argv, cwd=self.sandbox)
        else:
            result = self.execute([sys.executable, str(path)], cwd=self.cwd)
        if result.returncode != 0:
            raise SnippetError(f"{block.where}: the Python block failed (exit {result.returncode}):\n{result.stdout}")

    def check_fragments(self) -> None:
        for block in self.fragments:
            files = {target.partition(":")[0] for target in block.includes}
            missing = files - self.whole_files
            if missing:
                raise SnippetError(
                    f"{block.where}: a part of {', '.join(sorted(missing))} is shown, but the page does not include "
                    "the whole file, which is what runs and is type-checked"
                )

    def typecheck(self) -> None:
        if not self.python_files:
            return
        paths = [str(path.relative_to(self.sandbox)) for _, path in self.python_files]
        argv = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(self.mypy_cache), "--no-error-summary"]
        result = self.execute([*argv, *paths], cwd=self.sandbox)
        if result.returncode != 0:
            where = ", ".join(f"{path.relative_to(self.sandbox)} = {block.where}" for block, path in self.python_files)
            raise SnippetError(f"mypy --strict on the page's Python blocks ({where}):\n{result.stdout}")

    # -- shell --

    def shell(self, block: Block) -> None:
        outputs: list[str] = []
        for text, comment in logical_lines(block.code):
            commands = split_commands(text)
            for position, command in enumerate(commands):
                last = position == len(commands) - 1
                expected = int(m.group(1)) if last and (m := _EXIT.search(comment)) else 0
                outputs.append(self.command(block, command, expected))
        self.last_output = "".join(outputs)

    def command(self, block: Block, command: str, expected: int) -> str:
        """Run or check one command by its rule; returns what it printed."""
        for written, actual in self.ports.items():
            for host in LOOPBACK_HOSTS:
                command = command.replace(f"{host}:{written}", f"127.0.0.1:{actual}")
        words = words_of(command)
        if not words:
            raise SnippetError(f"{block.where}: {command!r}: no command")
        first = words[0]
        module, arguments = python_module(words)
        if command.endswith("&") and not command.endswith("&&"):
            return self.start_background(block, command, words)
        if first == "export":
            for assignment in words[1:]:
                name, _, value = assignment.partition("=")
                self.env[name] = PLACEHOLDER_CREDENTIAL if value == "..." else value
            return ""
        if first == "cd":
            target = (self.cwd / words[1]).resolve()
            if not target.is_dir() or self.sandbox.resolve() not in (target, *target.parents):
                raise SnippetError(f"{block.where}: cd {words[1]}: no such directory in a clone")
            self.cwd = target
            return ""
        if (first in ("pip", "pip3") and words[1:2] == ["install"]) or (
            module == "pip" and arguments[:1] == ["install"]
        ):
            rest = words[2:] if first in ("pip", "pip3") else arguments[1:]
            problems = check_pip_install(rest, self.in_repo())
            if problems:
                raise SnippetError(f"{block.where}: {command}\n  " + "\n  ".join(problems))
            return ""
        if module == "venv" or (first in (".", "source") and words[1:2] and words[1].endswith("/bin/activate")):
            return ""  # the test environment is the virtualenv these make
        if first == "nox" or module == "nox":
            rest = words[1:] if first == "nox" else arguments
            named = rest[rest.index("-s") + 1 :] if "-s" in rest else []
            named = named[: named.index("--")] if "--" in named else named
            unknown = set(named) - nox_sessions()
            if unknown or not named:
                raise SnippetError(
                    f"{block.where}: {command}: noxfile.py has no session {sorted(unknown) or '(none named)'}"
                )
            return ""
        if first == "pytest":
            return self.collect(block, command, words[1:])
        if first == "planpilot-providers":
            return self.planpilot_providers(block, command, words, expected)
        raise SnippetError(f"{block.where}: no rule runs {first!r}; see tools/docs_snippets.py")

    def collect(self, block: Block, command: str, arguments: Sequence[str]) -> str:
        """``pytest ARGUMENTS`` collects at least one test, in the repository (where a clone has the tests):
        ``--collect-only`` (and no ``-n``: collecting needs no workers) leaves it as it is."""
        kept = [
            argument
            for i, argument in enumerate(arguments)
            if argument not in ("-n", "-q", "-qq") and (i == 0 or arguments[i - 1] != "-n")
        ]
        argv = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *kept]
        result = self.execute(argv, cwd=self.in_repo())
        collected = re.search(r"(\d+) tests? collected", result.stdout)
        if result.returncode != 0 or collected is None or int(collected.group(1)) == 0:
            raise SnippetError(f"{block.where}: {command}: collects no test:\n{result.stdout[-3000:]}")
        return ""

    def in_repo(self) -> Path:
        """The directory of the repository that the page's current directory stands for."""
        return REPO / self.cwd.resolve().relative_to(self.sandbox.resolve())

    def planpilot_providers(self, block: Block, command: str, words: list[str], expected: int) -> str:
        result = self.execute(["bash", "-c", command], cwd=self.cwd)
        if self.real_tracker(words):
            hosts = [
                h for h in re.findall(r"https?://([^/\s:]+)", result.stdout) if h not in ("127.0.0.1", "localhost")
            ]
            if result.returncode != 3 or not hosts:
                raise SnippetError(
                    f"{block.where}: {command}\n  a command against a real tracker should get as far as the network "
                    f"(exit 3 naming the host); it exited {result.returncode}:\n{result.stdout[-3000:]}"
                )
            return result.stdout
        if result.returncode != expected:
            raise SnippetError(
                f"{block.where}: {command}\n  exited {result.returncode}, the page says {expected}:\n"
                + result.stdout[-3000:]
            )
        return result.stdout

    @staticmethod
    def real_tracker(words: Sequence[str]) -> bool:
        """A sync or check whose provider talks to a tracker that is not on this machine."""
        if len(words) < 2 or words[1] not in ("sync", "check"):
            return False
        provider = words[words.index("--provider") + 1] if "--provider" in words else "dry-run"
        api_url = words[words.index("--api-url") + 1] if "--api-url" in words else ""
        local = any(f"//{host}" in api_url for host in LOOPBACK_HOSTS)
        return provider != "dry-run" and not local

    def start_background(self, block: Block, command: str, words: list[str]) -> str:
        if "--port" not in words:
            raise SnippetError(f"{block.where}: {command}: a command in the background names its --port")
        written = words[words.index("--port") + 1]
        command = re.sub(rf"--port\s+{re.escape(written)}\b", "--port 0", command.rstrip("&").strip())
        log = self.sandbox / f".background-{len(self.background)}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                ["bash", "-c", f"exec {command}"], cwd=self.cwd, env=self.env, stdout=sink, stderr=subprocess.STDOUT
            )
        self.background.append(Background(process, log, command))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if match := _URL_PORT.search(log.read_text(errors="replace")):
                self.ports[written] = match.group(1)
                return ""
            if process.poll() is not None:
                break
            time.sleep(0.05)
        raise SnippetError(f"{block.where}: {command}: never said where it serves:\n{log.read_text(errors='replace')}")

    def stop_background(self) -> None:
        for job in self.background:
            if job.process.poll() is None:
                job.process.send_signal(signal.SIGTERM)
                try:
                    job.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    job.process.kill()
                    job.process.wait()
        self.background.clear()

    # -- the others --

    def output(self, block: Block, previous: Block | None) -> None:
        if previous is None or previous.lang not in ("sh", "bash") or self.last_output is None:
            raise SnippetError(f"{block.where}: an Output block follows the shell block whose output it shows")
        printed = [line.rstrip() for line in self.last_output.splitlines()]
        position = 0
        for wanted in (line.rstrip() for line in block.code.splitlines()):
            if not wanted or wanted == "...":
                continue
            try:
                position = printed.index(wanted, position) + 1
            except ValueError:
                raise SnippetError(
                    f"{block.where}: the page shows the line\n    {wanted}\n  which the commands before it did not "
                    f"print (in this order); they printed:\n{self.last_output[-4000:]}"
                ) from None

    def text(self, block: Block) -> None:
        for number, line in enumerate(block.code.splitlines()):
            first = line.strip().removeprefix("$ ").split(" ", 1)[0]
            if first in SHELL_WORDS:
                raise SnippetError(
                    f"{block.where}: line {number + 1} of a text block is a command ({line.strip()!r}); "
                    "put commands in an sh block, where they run"
                )

    def structured(self, block: Block, parse: object) -> None:
        assert callable(parse)
        try:
            parse(block.code)
        except ValueError as exc:  # tomllib.TOMLDecodeError and json.JSONDecodeError are ValueErrors
            raise SnippetError(f"{block.where}: the {block.lang} block does not parse: {exc}") from None
        if block.title:
            path = self.sandbox / block.title
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.code)

    def execute(self, argv: Sequence[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                argv,
                cwd=cwd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SnippetError(f"{' '.join(argv)}: still running after {COMMAND_TIMEOUT:.0f} s") from exc
