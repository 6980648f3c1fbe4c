"""Benchmark machines: the sandboxes evaluations run in."""
