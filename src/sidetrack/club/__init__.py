"""The weekly album club: weeks, nominations, ranked votes and ratings."""
