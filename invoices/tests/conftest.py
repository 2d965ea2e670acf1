import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Rendered PDFs go to a fresh folder per test, never into the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
