"""Next edit suggestions: after the user changes code, the edit that follows, wherever it is.

``edits`` holds the plain data every part shares: an ``Edit`` the user made and a ``Proposal``
for the next one. The protocol is in ``docs/next-edit.md``."""
