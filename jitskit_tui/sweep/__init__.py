"""Sweeps: one refinement loop per spec card, several at a time, each an ordinary run in a
folder under the sweep's (see :mod:`jitskit_tui.sweep.folder` for the layout). Above the
launch package: every loop is assembled by it, as `jitskit run` does."""
