"""Screens, one per area of the app, and the dialogs they open."""
