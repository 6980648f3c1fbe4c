"""The refinement loop: runs as git workspaces, a typed event log, control and resume.

Nothing here imports Textual: the TUI and the headless CLI are two clients of the same
engine. Import what you need from the submodules (`events`, `eventlog`, `controls`,
`workspace`, `loop`, `state`, `tools`); this package module stays empty so the agents,
which the loop imports, can import the tool layer without a cycle.
"""
