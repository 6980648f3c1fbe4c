"""Screens, one per area of the app, and the dialogs they open (the run dashboard, made
of several parts, has its own package: :mod:`jitskit_tui.tui.dashboard`)."""
