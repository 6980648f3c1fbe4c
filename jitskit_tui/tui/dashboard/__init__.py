"""The run dashboard, by area of the screen.

- :mod:`.screen`: ``DashboardScreen``, which composes the parts below and routes each
  key to the part that acts on it; the app calls its ``catch_up`` after each batch of
  events.
- :mod:`.controller`: ``RunController``, the run's controls (steer and pending steering,
  pause, resume, stop, abort, fork, audit, baselines, proposals, cost, resume).
- :mod:`.iterations`: the top row, the iterations table and the wide layout's live chart.
- :mod:`.panes`: the pane area below it (transcript, diff, charts, gates, logs), built
  after the first frame, and what each pane shows of the selected iteration.
- :mod:`.diff`: what the diff compares the selected iteration with (parent, best, mark).
"""
