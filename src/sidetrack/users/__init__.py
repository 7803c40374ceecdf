"""Members of Sidetrack and their links to outside services."""
