"""Shapes and their measures."""
