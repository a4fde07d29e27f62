"""Travel time from straight-line distance, a road factor and a speed per travel mode."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from yiyang.kit.geo import haversine_m
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
        speed = self.speed_kmh.get(mode) or self.speed_kmh.get("walk", 4.5)
        return max(self.min_minutes, metres / (speed * 1000.0 / 60.0))

    def lower_bound(self, metres: float) -> float:
        """The fewest minutes any mode needs for a straight-line distance of `metres`."""
        fastest = max(self.speed_kmh.values())
        return max(self.min_minutes, metres * self.road_factor / (fastest * 1000.0 / 60.0))
