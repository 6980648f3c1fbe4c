"""The workspace's git repository: the initial commit, iteration commits with trailers,
the `best` branch, forks, and keeping half-done work on resume.

Every function here blocks (it runs git); the loop calls them through `asyncio.to_thread`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import git

from jitskit_tui.engine.workspace import Workspace, WorkspaceError
from jitskit_tui.protocol.measurement import Comparison
from jitskit_tui.protocol.texts import (
    RANGE_DASH,
    baseline_ratio_text,
    one_line,
    ratio_number,
    side_name,
)

MAIN_BRANCH = "main"
BEST_BRANCH = "best"
INTERRUPTED_REF = "refs/jitskit/interrupted"
HEADLINES_REF = "refs/jitskit/headlines"
HEADLINE_FILE = "results/headline.json"
COMMITTER = ("jitskit", "jitskit@localhost")
_ITERATION_SUBJECT = re.compile(r"^iteration (\d+): ")

GITIGNORE = ".jitskit/\n*.o\nbuild/\n"


class GitError(WorkspaceError):
    """A git operation failed (with the operation and the workspace)."""


def _repo(ws: Workspace) -> git.Repo:
    try:
        return git.Repo(ws.root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(f"{ws.root}: not a git repository; the workspace is damaged") from None


def _run(ws: Workspace, what: str, *args: str) -> str:
    try:
        return str(_repo(ws).git.execute(["git", *args]))
    except git.GitCommandError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()
        tail = detail[-1] if detail else str(exc)
        raise GitError(f"{ws.root}: git {what} failed: {tail}") from None


def init_repo(ws: Workspace) -> str:
    """Makes the workspace a repository and commits its initial files; returns the sha."""
    try:
        repo = git.Repo.init(ws.root, initial_branch=MAIN_BRANCH)
    except git.GitCommandError as exc:
        raise GitError(f"{ws.root}: git init failed: {exc}") from None
    with repo.config_writer() as config:
        config.set_value("user", "name", COMMITTER[0])
        config.set_value("user", "email", COMMITTER[1])
        config.set_value("commit", "gpgsign", "false")
        config.set_value("core", "autocrlf", "false")
    (ws.root / ".gitignore").write_text(GITIGNORE)
    _run(ws, "add", "add", "-A")
    _run(ws, "commit", "commit", "--no-verify", "-q", "-m", f"run started: {ws.name}")
    return head_sha(ws)


def head_sha(ws: Workspace) -> str:
    return _run(ws, "rev-parse", "rev-parse", "HEAD").strip()


def initial_sha(ws: Workspace) -> str:
    """The run's first commit (iteration 0)."""
    return _run(ws, "rev-list", "rev-list", "--max-parents=0", "HEAD").split()[-1]


def current_branch(ws: Workspace) -> str:
    return _run(ws, "branch", "rev-parse", "--abbrev-ref", "HEAD").strip()


@dataclass
class Trailers:
    """The metrics every iteration commit carries after its message."""

    iteration: int
    verdict: str
    throughput_ops_s: float
    ratio: float | None
    failed_gates: list[str] = field(default_factory=list)
    outcome: str = "evaluated"
    smaller_machine: str = ""
    """The evaluation's `measured on a smaller machine than the card: ...` sentence."""
    vs_baseline: Comparison | None = None
    """The comparison ``ratio`` is the point of: its interval and baseline go in the
    `Jitskit-Ratio` trailer (`1.84x [1.71-1.98] vs tbb-chm`)."""
    decision: str = ""

    def render(self) -> str:
        if self.vs_baseline is not None:
            ratio = ascii_text(baseline_ratio_text(self.vs_baseline))
            if not self.vs_baseline.paired:
                ratio = f"{ratio_number(self.vs_baseline.ratio.point)}x vs " + (
                    f"{side_name(self.vs_baseline.other)} (unpaired)"
                )
        else:
            ratio = f"{self.ratio:.3f}" if self.ratio is not None else "unknown"
        failed = ",".join(self.failed_gates) or "none"
        decision = f"Jitskit-Decision: {self.decision}\n" if self.decision else ""
        lines = (
            f"Jitskit-Iteration: {self.iteration}\n"
            f"Jitskit-Outcome: {self.outcome}\n"
            f"Jitskit-Verdict: {self.verdict}\n"
            f"Jitskit-Throughput: {self.throughput_ops_s:.0f}\n"
            f"Jitskit-Ratio: {ratio}\n"
            f"{decision}"
            f"Jitskit-Failed-Gates: {failed}\n"
        )
        if self.smaller_machine:
            # `yes (card 4 CPUs, machine 2)`: the figures above are not the card's.
            _, _, what = self.smaller_machine.partition(": ")
            lines += f"Jitskit-Smaller-Machine: yes ({what or self.smaller_machine})\n"
        return lines


_RATIO_TRAILER = re.compile(
    r"^(?P<point>\d+(?:\.\d+)?)x?(?: \[(?P<low>[\d.]+)-(?P<high>[\d.]+)\])?"
    r"(?: vs (?P<against>\S+))?"
)


@dataclass(frozen=True)
class RatioTrailer:
    """A `Jitskit-Ratio` trailer read back: ``1.234`` (before intervals), or
    ``1.84x [1.71-1.98] vs tbb-chm``, or ``1.84x vs tbb-chm (unpaired)``."""

    point: float
    ci_low: float | None = None
    ci_high: float | None = None
    against: str | None = None


def parse_ratio_trailer(value: str) -> RatioTrailer | None:
    """The ratio in a `Jitskit-Ratio` trailer; ``None`` for `unknown` or anything else."""
    match = _RATIO_TRAILER.match(value.strip())
    if match is None:
        return None
    low, high = match["low"], match["high"]
    return RatioTrailer(
        point=float(match["point"]),
        ci_low=float(low) if low else None,
        ci_high=float(high) if high else None,
        against=match["against"],
    )


def ascii_text(text: str) -> str:
    """A text for a trailer: the interval's en dash as a hyphen."""
    return text.replace(RANGE_DASH, "-")


def parse_trailers(message: str) -> dict[str, str]:
    """`Key: value` lines of the message's last paragraph."""
    last = message.strip().split("\n\n")[-1]
    found: dict[str, str] = {}
    for line in last.splitlines():
        key, sep, value = line.partition(": ")
        if sep and re.fullmatch(r"[A-Za-z0-9-]+", key):
            found[key] = value.strip()
    return found


def commit_iteration(
    ws: Workspace, summary: str, body: str, trailers: Trailers, author: str
) -> str:
    """Commits everything in the work tree as iteration N; returns the sha."""
    message = f"iteration {trailers.iteration}: {one_line(summary)}\n\n"
    if body.strip():
        message += body.strip() + "\n\n"
    message += trailers.render()
    _run(ws, "add", "add", "-A")
    _run(
        ws,
        "commit",
        "commit",
        "--no-verify",
        "--allow-empty",
        "-q",
        f"--author={author} <{COMMITTER[1]}>",
        "-m",
        message,
    )
    return head_sha(ws)


def move_best(ws: Workspace, sha: str) -> None:
    _run(ws, "branch", "branch", "-f", BEST_BRANCH, sha)


def drop_best(ws: Workspace) -> None:
    """No iteration is the best any more: the `best` branch goes (when it exists)."""
    if best_sha(ws) is not None:
        _run(ws, "branch", "branch", "-D", BEST_BRANCH)


def commit_headline(ws: Workspace, parent: str, message: str) -> str:
    """Commits the work tree's `results/headline.json` on top of ``parent`` (the best
    iteration's commit) without touching the work tree or the index; the `best` branch
    moves to it, and a ref under `refs/jitskit/headlines/` keeps it once `best` moves on.
    The file itself stays out of later iteration commits (`.git/info/exclude`)."""
    repo = _repo(ws)
    exclude = Path(repo.git_dir) / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    listed = exclude.read_text() if exclude.is_file() else ""
    if HEADLINE_FILE not in listed.split():
        exclude.write_text(
            listed + ("" if listed.endswith("\n") or not listed else "\n") + HEADLINE_FILE + "\n"
        )
    index = ws.state / "headline.index"
    env = {"GIT_INDEX_FILE": str(index)}
    try:
        repo.git.execute(["git", "read-tree", parent], env=env)
        blob = str(repo.git.execute(["git", "hash-object", "-w", str(ws.root / HEADLINE_FILE)]))
        repo.git.execute(
            [
                "git",
                "update-index",
                "--add",
                "--cacheinfo",
                f"100644,{blob.strip()},{HEADLINE_FILE}",
            ],
            env=env,
        )
        tree = str(repo.git.execute(["git", "write-tree"], env=env)).strip()
        sha = str(repo.git.execute(["git", "commit-tree", tree, "-p", parent, "-m", message]))
        sha = sha.strip()
        repo.git.execute(["git", "update-ref", f"refs/heads/{BEST_BRANCH}", sha])
        repo.git.execute(["git", "update-ref", f"{HEADLINES_REF}/{sha[:12]}", sha])
    except git.GitCommandError as exc:
        raise GitError(f"{ws.root}: committing the headline failed: {exc}") from None
    finally:
        index.unlink(missing_ok=True)
    return sha


def best_sha(ws: Workspace) -> str | None:
    try:
        return _run(ws, "rev-parse", "rev-parse", "--verify", "-q", BEST_BRANCH).strip() or None
    except GitError:
        return None


def fork(ws: Workspace, sha: str, from_iteration: int) -> str:
    """Checks out a new branch `fork-<N>` (or `fork-<N>-<k>`) at ``sha``; returns its name."""
    existing = set(_run(ws, "branch", "branch", "--format=%(refname:short)").split())
    name = f"fork-{from_iteration}"
    k = 2
    while name in existing:
        name = f"fork-{from_iteration}-{k}"
        k += 1
    _run(ws, "checkout", "checkout", "-q", "-b", name, sha)
    return name


def is_dirty(ws: Workspace) -> bool:
    return bool(_run(ws, "status", "status", "--porcelain").strip())


def keep_and_reset(ws: Workspace, iteration: int) -> str | None:
    """Puts uncommitted work on a ref (so nothing is lost), then resets the work tree to the
    last commit. Returns the ref, or ``None`` when there was nothing to keep."""
    if not is_dirty(ws):
        return None
    ref = f"{INTERRUPTED_REF}/iteration-{iteration}-{head_sha(ws)[:8]}"
    index = ws.state / "interrupted.index"
    repo = _repo(ws)
    env = {"GIT_INDEX_FILE": str(index)}
    try:
        repo.git.execute(["git", "read-tree", "HEAD"], env=env)
        repo.git.execute(["git", "add", "-A"], env=env)
        tree = str(repo.git.execute(["git", "write-tree"], env=env)).strip()
        sha = str(
            repo.git.execute(
                [
                    "git",
                    "commit-tree",
                    tree,
                    "-p",
                    "HEAD",
                    "-m",
                    f"iteration {iteration} (interrupted): work in progress",
                ]
            )
        ).strip()
        repo.git.execute(["git", "update-ref", ref, sha])
    except git.GitCommandError as exc:
        raise GitError(f"{ws.root}: keeping the interrupted work failed: {exc}") from None
    finally:
        index.unlink(missing_ok=True)
    reset_work_tree(ws)
    return ref


def reset_work_tree(ws: Workspace) -> None:
    """The work tree as the last commit has it (ignored run state is kept)."""
    _run(ws, "reset", "reset", "-q", "--hard", "HEAD")
    _run(ws, "clean", "clean", "-q", "-fd")


@dataclass(frozen=True)
class IterationCommit:
    iteration: int
    sha: str
    parent: str | None
    subject: str
    trailers: dict[str, str]


def iteration_commits(ws: Workspace) -> dict[int, IterationCommit]:
    """Every iteration commit on every branch, by iteration number."""
    out = _run(ws, "log", "log", "--all", "--format=%H%x1f%P%x1f%B%x1e")
    found: dict[int, IterationCommit] = {}
    for record in out.split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        sha, parents, body = record.split("\x1f", 2)
        if not sha or " (interrupted)" in body.split("\n", 1)[0]:
            continue
        match = _ITERATION_SUBJECT.match(body)
        if match is None:
            continue
        trailers = parse_trailers(body)
        number = int(trailers.get("Jitskit-Iteration", match.group(1)))
        found[number] = IterationCommit(
            iteration=number,
            sha=sha,
            parent=parents.split()[0] if parents.split() else None,
            subject=body.split("\n", 1)[0],
            trailers=trailers,
        )
    return found


def show_file(ws: Workspace, sha: str, path: str) -> str | None:
    try:
        return _run(ws, "show", "show", f"{sha}:{path}")
    except GitError:
        return None


def diff(ws: Workspace, base: str, head: str, *, exclude: tuple[str, ...] = ("results",)) -> str:
    """The unified diff from ``base`` to ``head``, leaving out ``exclude`` paths."""
    specs = ["--", "."] + [f":(exclude){path}" for path in exclude]
    return _run(ws, "diff", "diff", "--no-color", base, head, *specs)


def worktree_diff(ws: Workspace, *paths: str) -> str:
    """Uncommitted changes (new files included) under ``paths``, against the last commit."""
    _run(ws, "add", "add", "--intent-to-add", "--", *paths)
    return _run(ws, "diff", "diff", "--no-color", "HEAD", "--", *paths)


def changed_files(ws: Workspace, base: str, head: str) -> list[str]:
    out = _run(ws, "diff", "diff", "--name-only", base, head)
    return [line for line in out.splitlines() if line]


def export_store(ws: Workspace, sha: str, dest: Path) -> Path:
    """Writes the ``store/`` folder of commit ``sha`` into ``dest`` (created), as the
    commit holds it, whatever the work tree holds now; returns ``dest``."""
    repo = _repo(ws)
    try:
        tree = repo.commit(sha).tree / "store"
    except (ValueError, KeyError, git.BadName) as exc:
        raise GitError(f"{ws.root}: commit {sha[:10]} has no store/ folder ({exc})") from None
    dest.mkdir(parents=True, exist_ok=True)
    for item in tree.traverse():
        if not isinstance(item, git.Blob):
            continue
        target = dest / Path(item.path).relative_to("store")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(item.data_stream.read())
    return dest
