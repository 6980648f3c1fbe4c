"""The Textual app. The only package that imports Textual; it is a client of the engine."""
