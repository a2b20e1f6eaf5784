"""Shapes and their areas."""


def square_area(side):
    return side * side


def _helper(x):
    return x
