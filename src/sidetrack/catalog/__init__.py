"""The music catalog: albums, tracks, genre tags and per-track audio features."""
