"""Code actions: fixes for diagnostics, docstrings and test scaffolds.

Listing reads the tree only (``feature.Actions.list``); the model runs when an action is
resolved or applied (``compute``), and every result is validated before it becomes an edit.
"""
