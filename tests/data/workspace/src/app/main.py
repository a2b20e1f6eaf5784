"""The command that prints a report about a plot of land."""

from shapes.geometry import Point, area_of_rectangle


def report(width: float, height: float) -> str:
    corner = Point(width, height)
    total = area_of_rectangle(width, height)
    
    return f"{total:.2f}"
