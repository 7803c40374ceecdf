"""The application's encryption key (for tokens at rest) and token hashing."""

import hashlib
import os
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet

from sidetrack.core.config import get_settings


@lru_cache
def fernet() -> Fernet:
    settings = get_settings()
    if settings.secret_key is not None:
        return Fernet(settings.secret_key.get_secret_value().encode())
    # The embedded default keeps a generated key beside the SQLite file, readable by the owner only.
    key_file = settings.data_dir / "secret.key"
    if not key_file.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(Fernet.generate_key())
    return Fernet(key_file.read_bytes().strip())


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens are long random strings, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
