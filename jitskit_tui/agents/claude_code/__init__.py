"""The Claude Code agent: the four roles played by the Claude Code CLI, driven through the
official `claude-agent-sdk` (`ClaudeSDKClient`, streaming input), each role's prompt
appended to Claude Code's own.

Claude Code runs on the host, so its powers are cut in two layers: a `PreToolUse` hook
allows only its file tools on the role's folders and the jitskit tools (:mod:`.policy`,
:mod:`.gate`), and the CLI runs under bubblewrap with only those folders in sight
(:mod:`.jail`), in a private home outside the workspace (:mod:`.home`).
"""
