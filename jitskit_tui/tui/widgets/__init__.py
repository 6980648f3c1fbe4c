"""Widgets of the editor screen."""
