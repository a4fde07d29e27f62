"""Travel time from straight-line distance, a road factor and a speed per travel mode."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from yiyang.kit.geo import EARTH_RADIUS_M, haversine_m
from yiyang.planner.types import Point

DEFAULT_SPEED_KMH: Mapping[str, float] = MappingProxyType(
    {"walk": 4.5, "bicycle": 12.0, "ebike": 18.0, "car": 25.0}
)


@dataclass(frozen=True)
class StraightLineTravel:
    """Haversine distance x road factor at the mode's speed, never below a minimum.

    Implements TravelModel; a routing engine (OSRM, Valhalla) can replace it. It also offers
    `lower_bound`, which the spatial index uses to stop searching once nobody farther can win.
    """

    road_factor: float = 1.3
    speed_kmh: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SPEED_KMH)
    min_minutes: float = 3.0

    def minutes(self, a: Point, b: Point, mode: str) -> float:
        """Minutes to travel from a to b by this mode (unknown modes travel at walking speed)."""
        metres = haversine_m(a.lat, a.lon, b.lat, b.lon) * self.road_factor
        return max(self.min_minutes, metres / self._metres_per_minute(mode))

    def seconds_matrix(self, points: Sequence[Point], mode: str) -> np.ndarray:
        """Whole seconds between every pair of points (0 on the diagonal), for a route solver."""
        lat = np.radians([p.lat for p in points])
        lon = np.radians([p.lon for p in points])
        half = (
            np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
            + np.cos(lat)[:, None]
            * np.cos(lat)[None, :]
            * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2
        )
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(half, 0.0, 1.0))) * self.road_factor
        minutes = np.maximum(self.min_minutes, metres / self._metres_per_minute(mode))
        np.fill_diagonal(minutes, 0.0)
        return np.rint(minutes * 60).astype(np.uint32)

    def _metres_per_minute(self, mode: str) -> float:
        speed = self.speed_kmh.get(mode) or self.speed_kmh.get("walk", 4.5)
        return speed * 1000.0 / 60.0

    def lower_bound(self, metres: float) -> float:
        """The fewest minutes any mode needs for a straight-line distance of `metres`."""
        fastest = max(self.speed_kmh.values())
        return max(self.min_minutes, metres * self.road_factor / (fastest * 1000.0 / 60.0))
