"""How members relate: follows, taste compatibility and recommendations."""
