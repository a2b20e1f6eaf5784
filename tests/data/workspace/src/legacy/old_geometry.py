"""The previous geometry module, kept for old callers."""


def area_of_rectangle(w, h):
    """Old spelling: area of a w x h rectangle."""
    return w * h
