"""The Discord bot: runs the weekly club in a Discord server, keeping every piece of data in the
club API (it talks to Sidetrack only over HTTP, never to the database)."""
