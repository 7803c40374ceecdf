"""Sidetrack: a weekly album club, its public archive, and a social music tracker."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sidetrack")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
