"""Members' listening history and the taste profiles derived from it."""
