"""Dollars from token counts: a built-in price table by model family, which the user
config's `[prices."<model>"]` overrides (USD per million tokens)."""

from __future__ import annotations

from dataclasses import dataclass

from jitskit_tui.agents.anthropic.stream import TokenCounts
from jitskit_tui.config import Price
from jitskit_tui.protocol.agent import AgentSink, Usage

CACHE_READ_SHARE = 0.1
CACHE_WRITE_SHARE = 1.25
"""The usual prompt-caching prices as shares of the input price (5-minute writes)."""

_FAMILIES: tuple[tuple[str, float, float], ...] = (
    # (name part, input, output) per million tokens, as published for the current models.
    ("haiku", 1.0, 5.0),
    ("sonnet", 3.0, 15.0),
    ("opus", 5.0, 25.0),
    ("fable", 10.0, 50.0),
    ("mythos", 10.0, 50.0),
)
UNKNOWN = (10.0, 50.0)
"""For a model the table does not know: the dearest family, so a budget cap errs early."""


@dataclass(frozen=True)
class Rates:
    model: str
    input: float
    output: float
    cache_read: float
    cache_write: float
    known: bool
    """False when the price is the fallback for an unknown model."""

    def dollars(
        self, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int
    ) -> float:
        return (
            input_tokens * self.input
            + output_tokens * self.output
            + cache_read * self.cache_read
            + cache_write * self.cache_write
        ) / 1_000_000


class PriceTable:
    def __init__(self, overrides: dict[str, Price] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def rates(self, model: str) -> Rates:
        override = self.overrides.get(model)
        if override is not None:
            return Rates(
                model=model,
                input=override.input,
                output=override.output,
                cache_read=(
                    override.cache_read
                    if override.cache_read is not None
                    else override.input * CACHE_READ_SHARE
                ),
                cache_write=(
                    override.cache_write
                    if override.cache_write is not None
                    else override.input * CACHE_WRITE_SHARE
                ),
                known=True,
            )
        lowered = model.lower()
        found = next(((i, o) for part, i, o in _FAMILIES if part in lowered), None)
        price_in, price_out = found or UNKNOWN
        return Rates(
            model=model,
            input=price_in,
            output=price_out,
            cache_read=price_in * CACHE_READ_SHARE,
            cache_write=price_in * CACHE_WRITE_SHARE,
            known=found is not None,
        )


class CostReporter:
    """Prices each response by the model name the spec gave (the one a price override
    names) and reports it to the sink; the first response of a model the table does not
    know adds a notice saying what it is counted at and how to set its price."""

    def __init__(self, prices: PriceTable) -> None:
        self.prices = prices
        self._warned: set[str] = set()

    def report(
        self,
        sink: AgentSink,
        model: str,
        served: str,
        tokens: TokenCounts,
        *,
        estimated: bool = False,
    ) -> Usage:
        rates = self.prices.rates(model)
        if not rates.known and model not in self._warned:
            self._warned.add(model)
            sink.notice(
                f"no price known for model {model!r}; counting ${rates.input:g}/"
                f"${rates.output:g} per million input/output tokens",
                f'set [prices."{model}"] in ~/.config/jitskit/config.toml',
            )
        dollars = rates.dollars(tokens.input, tokens.output, tokens.cache_read, tokens.cache_write)
        usage = Usage(
            model=served or model,
            input_tokens=tokens.input,
            output_tokens=tokens.output,
            cache_read_tokens=tokens.cache_read,
            cache_write_tokens=tokens.cache_write,
            dollars=dollars,
            estimated=estimated,
        )
        sink.usage(usage)
        return usage
