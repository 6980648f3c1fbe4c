"""YCSB's core workloads A to F, with YCSB's own mixes and request distributions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PresetName = Literal["A", "B", "C", "D", "E", "F"]
OpKind = Literal["read", "update", "insert", "scan", "read_modify_write", "delete"]


@dataclass(frozen=True)
class Preset:
    """One YCSB core workload: its operation mix and which key distribution it draws from."""

    title: str
    mix: dict[OpKind, float]
    distribution: Literal["zipfian", "latest"]
    scan_max: int = 100


YCSB_ZIPFIAN_CONSTANT = 0.99

PRESETS: dict[PresetName, Preset] = {
    "A": Preset("update heavy", {"read": 0.5, "update": 0.5}, "zipfian"),
    "B": Preset("read mostly", {"read": 0.95, "update": 0.05}, "zipfian"),
    "C": Preset("read only", {"read": 1.0}, "zipfian"),
    "D": Preset("read latest", {"read": 0.95, "insert": 0.05}, "latest"),
    "E": Preset("short ranges", {"scan": 0.95, "insert": 0.05}, "zipfian"),
    "F": Preset("read-modify-write", {"read": 0.5, "read_modify_write": 0.5}, "zipfian"),
}
