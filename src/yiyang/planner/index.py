"""Spatial, area and skill index of caregivers so `choose` only examines plausible ones."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

from yiyang.planner.types import CaregiverState, Point

_M_PER_DEG_LAT = 111_320.0
# The grid is a local flat projection; shrink ring distances a little so bounds stay safe.
_SAFETY = 0.97
MAX_LEVEL = 5

Cell = tuple[int, int]


class CaregiverIndex:
    """Caregivers by id, community, street, skill level and grid cell of every place they are.

    A caregiver sits in the cell of its home and of every busy point, so a ring search from a
    job reaches it as soon as any place it travels from is near. Update it after each commit.
    """

    def __init__(self, caregivers: Iterable[CaregiverState], *, cell_m: float = 1000.0) -> None:
        self.cell_m = cell_m
        self._by_id: dict[int, CaregiverState] = {}
        self._community: dict[int, set[int]] = defaultdict(set)
        self._street: dict[int, set[int]] = defaultdict(set)
        # skill -> level -> staff holding the skill at that level or higher
        self._skill: dict[str, list[set[int]]] = {}
        self._cells: dict[Cell, set[int]] = defaultdict(set)
        self._cells_of: dict[int, set[Cell]] = {}
        self._lat0: float | None = None
        self._m_per_deg_lon = 0.0
        self._bounds: list[int] | None = None  # min ix, max ix, min iy, max iy
        for c in caregivers:
            self.put(c)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[CaregiverState]:
        return iter(self._by_id.values())

    def __contains__(self, staff_id: object) -> bool:
        return staff_id in self._by_id

    def get(self, staff_id: int) -> CaregiverState:
        """The current state of a caregiver (KeyError if unknown)."""
        return self._by_id[staff_id]

    def ids(self) -> set[int]:
        """Every indexed staff id."""
        return set(self._by_id)

    def put(self, c: CaregiverState) -> None:
        """Add a caregiver or replace its state (areas, skills and places are re-indexed)."""
        old = self._by_id.get(c.staff_id)
        if old is not None:
            self._forget(old)
        self._by_id[c.staff_id] = c
        if c.community_id is not None:
            self._community[c.community_id].add(c.staff_id)
        if c.street_id is not None:
            self._street[c.street_id].add(c.staff_id)
        for skill, level in c.skills.items():
            levels = self._skill.setdefault(skill, [set() for _ in range(MAX_LEVEL + 1)])
            for lv in range(1, min(level, MAX_LEVEL) + 1):
                levels[lv].add(c.staff_id)
        cells = {self.cell_of(p) for p in (c.home, *c.busy_points)}
        self._cells_of[c.staff_id] = cells
        for cell in cells:
            self._cells[cell].add(c.staff_id)
            self._grow(cell)

    def copy(self) -> CaregiverIndex:
        """An index equal to this one that can change without changing it."""
        new = CaregiverIndex((), cell_m=self.cell_m)
        new._by_id = dict(self._by_id)
        new._community = defaultdict(set, {k: set(v) for k, v in self._community.items()})
        new._street = defaultdict(set, {k: set(v) for k, v in self._street.items()})
        new._skill = {k: [set(m) for m in levels] for k, levels in self._skill.items()}
        new._cells = defaultdict(set, {k: set(v) for k, v in self._cells.items()})
        new._cells_of = {k: set(v) for k, v in self._cells_of.items()}
        new._lat0, new._m_per_deg_lon = self._lat0, self._m_per_deg_lon
        new._bounds = list(self._bounds) if self._bounds is not None else None
        return new

    def drop(self, staff_id: int) -> None:
        """Leave a caregiver out (as if never indexed)."""
        old = self._by_id.pop(staff_id, None)
        if old is not None:
            self._forget(old)

    def put_busier(self, c: CaregiverState) -> None:
        """Replace a caregiver's state by one with more visits and nothing else changed
        (areas, skills and home as indexed): only the places of the new visits are added."""
        self._by_id[c.staff_id] = c
        cells = self._cells_of[c.staff_id]
        for p in c.busy_points:
            cell = self.cell_of(p)
            if cell not in cells:
                cells.add(cell)
                self._cells[cell].add(c.staff_id)
                self._grow(cell)

    def _forget(self, c: CaregiverState) -> None:
        if c.community_id is not None:
            self._community[c.community_id].discard(c.staff_id)
        if c.street_id is not None:
            self._street[c.street_id].discard(c.staff_id)
        for skill in c.skills:
            for members in self._skill[skill]:
                members.discard(c.staff_id)
        for cell in self._cells_of.pop(c.staff_id, set()):
            self._cells[cell].discard(c.staff_id)

    def community(self, community_id: int) -> set[int]:
        """Staff whose home facility is in the community."""
        return self._community.get(community_id, set())

    def street(self, street_id: int) -> set[int]:
        """Staff whose home facility is in the street (community centres included)."""
        return self._street.get(street_id, set())

    def skilled(self, required: Mapping[str, int]) -> set[int]:
        """Staff holding every required skill at least at its level."""
        if not required:
            return self.ids()
        groups = []
        for skill, level in required.items():
            levels = self._skill.get(skill)
            if levels is None or level > MAX_LEVEL:
                return set()
            groups.append(levels[max(1, level)])
        groups.sort(key=len)
        return groups[0].intersection(*groups[1:])

    def cell_of(self, p: Point) -> Cell:
        """The grid cell holding a point (the first point fixes the projection)."""
        if self._lat0 is None:
            self._lat0 = p.lat
            self._m_per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(p.lat))
        x = p.lon * self._m_per_deg_lon / self.cell_m
        y = (p.lat - self._lat0) * _M_PER_DEG_LAT / self.cell_m
        return (math.floor(x), math.floor(y))

    def _grow(self, cell: Cell) -> None:
        b = self._bounds
        if b is None:
            self._bounds = [cell[0], cell[0], cell[1], cell[1]]
            return
        b[0], b[1] = min(b[0], cell[0]), max(b[1], cell[0])
        b[2], b[3] = min(b[2], cell[1]), max(b[3], cell[1])

    def rings(self, p: Point) -> Iterator[tuple[float, set[int]]]:
        """Square rings of cells around p, nearest first: (metres beyond which, staff in it).

        Everyone yielded with ring r is at least the returned distance away; everyone not yet
        yielded after ring r is at least the next ring's distance away.
        """
        cx, cy = self.cell_of(p)
        b = self._bounds
        if b is None:
            return
        last = max(cx - b[0], b[1] - cx, cy - b[2], b[3] - cy, 0)
        for r in range(last + 1):
            found: set[int] = set()
            for cell in _ring(cx, cy, r):
                members = self._cells.get(cell)
                if members:
                    found |= members
            yield (self.ring_distance(r), found)

    def ring_distance(self, r: int) -> float:
        """A safe lower bound in metres from a point to anything in ring r around its cell."""
        return max(0.0, (r - 1) * self.cell_m * _SAFETY)


def _ring(cx: int, cy: int, r: int) -> Iterator[Cell]:
    """The cells at Chebyshev distance exactly r from (cx, cy)."""
    if r == 0:
        yield (cx, cy)
        return
    for x in range(cx - r, cx + r + 1):
        yield (x, cy - r)
        yield (x, cy + r)
    for y in range(cy - r + 1, cy + r):
        yield (cx - r, y)
        yield (cx + r, y)
