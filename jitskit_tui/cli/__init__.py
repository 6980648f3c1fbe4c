"""The `jitskit` command line: a headless client of the engine, beside the TUI."""
