"""The refinement loop: runs as git workspaces, a typed event log, control and resume.

Nothing here imports Textual or an agent backend: the TUI and the headless CLI are two
clients of the same engine, and agents reach it only through the protocol (see
`docs/architecture.md`). Import what you need from the submodules (`loop`,
`run_context`, `eventlog`, `state`, `inbox`, `workspace`, `tools`).
"""
