"""The public web pages: the club archive and member pages, server-rendered HTML."""
