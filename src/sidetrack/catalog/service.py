"""Finding and creating catalog entries: albums by external id or by normalised name."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from sidetrack.catalog.models import Album, GenreTag
from sidetrack.catalog.normalize import match_key, tag_slug


def find_or_create_album(
    session: Session,
    *,
    title: str,
    artist_name: str,
    release_year: int | None = None,
    musicbrainz_id: str | None = None,
    spotify_id: str | None = None,
) -> Album:
    """External ids win; otherwise the name match ignores case, accents and spacing.

    A match by name learns the external ids and year it did not have yet.
    """
    title, artist_name = " ".join(title.split()), " ".join(artist_name.split())
    album = None
    if musicbrainz_id:
        album = session.scalar(select(Album).where(Album.musicbrainz_id == musicbrainz_id))
    if album is None and spotify_id:
        album = session.scalar(select(Album).where(Album.spotify_id == spotify_id))
    if album is None:
        candidates = session.scalars(
            select(Album)
            .where(Album.match_key == match_key(artist_name, title))
            .order_by(Album.created_at)
        ).all()
        # Same name but a different external id is another album (a reissue, a namesake).
        album = next(
            (
                candidate
                for candidate in candidates
                if not (musicbrainz_id and candidate.musicbrainz_id)
                and not (spotify_id and candidate.spotify_id)
            ),
            None,
        )
    if album is None:
        album = Album(
            title=title,
            artist_name=artist_name,
            release_year=release_year,
            musicbrainz_id=musicbrainz_id,
            spotify_id=spotify_id,
            match_key=match_key(artist_name, title),
        )
        session.add(album)
    else:
        album.musicbrainz_id = album.musicbrainz_id or musicbrainz_id
        album.spotify_id = album.spotify_id or spotify_id
        album.release_year = album.release_year or release_year
    session.flush()
    return album


def find_or_create_genre_tag(session: Session, name: str) -> GenreTag | None:
    """The tag for a genre name; None for a name with nothing to tag by ("---", "  ")."""
    slug = tag_slug(name)
    if not slug:
        return None
    tag = session.scalar(select(GenreTag).where(GenreTag.slug == slug))
    if tag is None:
        tag = GenreTag(name=" ".join(name.split()), slug=slug)
        session.add(tag)
        session.flush()
    return tag
