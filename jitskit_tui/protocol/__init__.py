"""The types every layer speaks, and nothing else: events, controls, records, evaluation
results, the audit suite's data, and the agent contract (the `Agent` interface, its
briefs and contexts, the sink, the tools and the budget it sees).

The engine produces and consumes these; clients (the TUI, the CLI) render them; agent
backends implement the contract using only this package. Nothing here imports the
engine, an agent backend or a client.
"""
