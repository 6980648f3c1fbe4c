"""The results report (`jitskit report`): the paper's table of a run or a sweep (each
synthesized store against the best comparable baseline), and per run its throughput chart,
its design timeline and the best's diff, as Markdown or one self-contained HTML page."""
