"""Turning choices into a running engine: the one place a run is assembled.

`jitskit run`, `jitskit resume` and the app's start dialog all describe what they want as
:class:`~jitskit_tui.launch.choices.RunChoices` (a card or a run, the agent and its
options, the machine, the budget, baselines on or off, a fork) and get an
:class:`~jitskit_tui.engine.loop.Engine` (not started) from :mod:`jitskit_tui.launch.runs`,
or a :class:`~jitskit_tui.launch.choices.LaunchError` that says what to do. Agents come
from :mod:`jitskit_tui.agents.registry`, machines from :mod:`jitskit_tui.machine_kinds`.
"""
