"""Plane geometry."""

from __future__ import annotations

import math

from .units import SCALE

ORIGIN_NAME = "origin"


def area_of_rectangle(width: float, height: float) -> float:
    """Return the area of a width x height rectangle."""
    return width * height * SCALE


class Point:
    """A point in the plane."""

    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y

    def distance_to(self, other: Point) -> float:
        """Euclidean distance to another point."""
        return math.hypot(self.x - other.x, self.y - other.y)

    def translated(self, dx: float, dy: float) -> Point:
        """This point moved by (dx, dy)."""
        return Point(self.x + dx, self.y + dy)

    def scaled(self, factor: float) -> Point:
        """This point scaled from the origin."""
        return Point(self.x * factor, self.y * factor)
