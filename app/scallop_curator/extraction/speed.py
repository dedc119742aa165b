"""This machine's measured speed per model, kept between runs for time estimates.

A turn's time is close to ``seconds_per_token * prompt tokens evaluated + seconds_per_turn``
(the answer's generation and overheads). Both are fitted by least squares over a run's turns
and stored per model in the cache folder."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from scallop_curator import paths

log = logging.getLogger("engine")


@dataclass(frozen=True)
class Speed:
    seconds_per_token: float
    seconds_per_turn: float
    turns_measured: int

    def estimate(self, evaluated_tokens: int, turns: int) -> float:
        return self.seconds_per_token * evaluated_tokens + self.seconds_per_turn * turns


def local_key(model_hash: str, prompt_version: str) -> str:
    """The key a local model's speed is kept under (the same for ``extract`` and the window)."""
    return f"{model_hash}:{prompt_version}"


def server_key(url: str, model: str | None) -> str:
    return f"server:{url}:{model or ''}"


class SpeedMeter:
    """Collects one run's (evaluated tokens, seconds) per turn and keeps the fitted speed.

    Turns run in parallel overlap, so a run with more than one in flight is not measured."""

    def __init__(self, key: str, parallel: int = 1) -> None:
        self.key = key
        self.parallel = parallel
        self.samples: list[tuple[int, float]] = []

    def add(self, evaluated_tokens: int, latency_ms: float, parse_ok: bool = True) -> None:
        if parse_ok and latency_ms > 0:
            self.samples.append((evaluated_tokens, latency_ms / 1000))

    def save(self) -> Speed | None:
        """Fit and store the speed; None (nothing stored) with too few turns or turns in parallel."""
        if self.parallel != 1:
            return None
        measured = fit_speed(self.samples)
        if measured is not None:
            save_speed(self.key, measured)
        return measured


def _file() -> Path:
    return paths.cache_dir() / "speed.json"


def _all() -> dict[str, dict]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def load_speed(model_key: str) -> Speed | None:
    entry = _all().get(model_key)
    try:
        return Speed(**entry) if entry else None
    except TypeError:
        return None


def fit_speed(samples: list[tuple[int, float]]) -> Speed | None:
    """(evaluated tokens, seconds) per turn -> the two rates; None with too few turns to tell."""
    if len(samples) < 3:
        return None
    n = len(samples)
    mean_x = sum(x for x, _ in samples) / n
    mean_y = sum(y for _, y in samples) / n
    var = sum((x - mean_x) ** 2 for x, _ in samples)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in samples) / var if var else 0.0
    slope = max(slope, 0.0)
    intercept = max(mean_y - slope * mean_x, 0.0)
    if slope == 0.0 and mean_x:
        slope, intercept = mean_y / mean_x / 2, mean_y / 2  # one prompt size only: split the time evenly
    return Speed(seconds_per_token=slope, seconds_per_turn=intercept, turns_measured=n)


def save_speed(model_key: str, speed: Speed) -> None:
    data = _all()
    data[model_key] = asdict(speed)
    file = _file()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, file)
    except OSError as error:
        log.warning("measured speed not saved to %s: %s", file, error)
