"""The second layer of containment: the Claude Code CLI runs under bubblewrap.

The SDK starts the CLI through a launcher we write (its `cli_path`): a shell script that
empties the environment down to the variables we name (the API key passes by name, it is
never written to disk), then execs `bwrap` with the arguments in a file beside it. Inside
the jail the CLI sees the system's programs and libraries, a few files of `/etc` it needs
to resolve the API's host, its own binary, the run's private home, and the role's folders
of the workspace (the coder `store/` writable; the auditor `store/` read-only and
`audit/`); the harness, the rest of the workspace, other runs and the user's home are not
there. The network is shared only because the API must be reached. The user's Claude Code
login, when one is shown, is bound read-only into the private home.
"""

from __future__ import annotations

import functools
import shlex
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jitskit_tui.agents.claude_code.home import PrivateHome
from jitskit_tui.protocol.agent import AgentUnavailable
from jitskit_tui.sandbox.local import system_binds

_ETC = (
    "resolv.conf",
    "hosts",
    "host.conf",
    "gai.conf",
    "nsswitch.conf",
    "passwd",
    "group",
    "localtime",
    "ssl",
    "ca-certificates",
    "ca-certificates.conf",
    "pki",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
)
"""What of `/etc` the CLI sees: name resolution, TLS roots, the dynamic loader."""
SDK_VARIABLES = (
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_AGENT_SDK_VERSION",
    "CLAUDE_CODE_SDK_READS_SESSION_STATE",
    "PWD",
)
"""Variables the SDK sets for the CLI, passed on through the launcher."""
BWRAP_HINT = (
    "install bubblewrap (`apt-get install bubblewrap`); in a container, allow user "
    "namespaces (or run jitskit as root); the Claude Code CLI never runs unconfined"
)


@dataclass(frozen=True)
class JailView:
    """What one role's CLI sees of the workspace."""

    cwd: Path
    writable: tuple[Path, ...] = ()
    readable: tuple[Path, ...] = ()
    """Bound read-only."""
    login: Path | None = None
    """The user's Claude Code credentials file, shown read-only (never read by us)."""
    variables: tuple[str, ...] = field(default_factory=tuple)
    """Names of the environment variables the CLI gets (values come from the SDK)."""


def bwrap_args(cli: Path, home: PrivateHome, view: JailView) -> list[str]:
    args = [
        "--unshare-all",
        "--share-net",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "jitskit-claude",
        *system_binds(_ETC),
        "--ro-bind",
        str(cli),
        str(cli),
        "--bind",
        str(home.home),
        str(home.home),
    ]
    if view.login is not None:
        args += ["--ro-bind", str(view.login), str(home.config / ".credentials.json")]
    for folder in view.readable:
        args += ["--ro-bind", str(folder), str(folder)]
    for folder in view.writable:
        args += ["--bind", str(folder), str(folder)]
    return [*args, "--chdir", str(view.cwd)]


def write_launcher(name: str, cli: Path, home: PrivateHome, view: JailView) -> Path:
    """Writes the launcher for one role's CLI (and its bwrap arguments); returns it."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise AgentUnavailable(f"bubblewrap (bwrap) is not installed; {BWRAP_HINT}")
    home.ensure()
    args_file = home.launchers / f"{name}.args"
    args_file.write_bytes(b"".join(a.encode() + b"\0" for a in bwrap_args(cli, home, view)))
    keep = " ".join(f'{n}="${{{n}-}}"' for n in _names(view.variables))
    script = (
        "#!/bin/sh\n"
        "# Written by jitskit: the Claude Code CLI in its jail (see jitskit_tui/agents/"
        "claude_code/jail.py).\n"
        f"exec /usr/bin/env -i {keep} {shlex.quote(bwrap)} --args 3 -- "
        f'{shlex.quote(str(cli))} "$@" 3< {shlex.quote(str(args_file))}\n'
    )
    launcher = home.launchers / name
    launcher.write_text(script)
    launcher.chmod(0o700)
    return launcher


def _names(variables: Iterable[str]) -> list[str]:
    names = sorted({*variables, *SDK_VARIABLES})
    for name in names:
        if not name.replace("_", "").isalnum() or name[0].isdigit():
            raise ValueError(f"not an environment variable name: {name!r}")
    return names


@functools.cache
def check_bwrap() -> None:
    """Raises :class:`AgentUnavailable` when bubblewrap cannot make a jail here."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise AgentUnavailable(f"bubblewrap (bwrap) is not installed; {BWRAP_HINT}")
    argv = [bwrap, "--unshare-all", "--share-net", "--die-with-parent", *system_binds(_ETC)]
    try:
        done = subprocess.run(
            [*argv, "--", "/bin/true"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AgentUnavailable(f"bubblewrap cannot start ({exc}); {BWRAP_HINT}") from None
    if done.returncode != 0:
        said = " ".join(done.stderr.split())[:200]
        raise AgentUnavailable(f"bubblewrap cannot make a jail here ({said}); {BWRAP_HINT}")
