"""Agent backends that play the loop's roles: the offline scripted agent, and model
agents. Each implements the agent contract in :mod:`jitskit_tui.protocol.agent` and
imports nothing from the engine; :mod:`jitskit_tui.agents.registry` names them all."""
