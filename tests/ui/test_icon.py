from __future__ import annotations

from scallop_curator.ui.icon import SIZES, app_icon


def test_the_app_icon_has_every_size(qapp) -> None:  # type: ignore[no-untyped-def]
    icon = app_icon()
    assert not icon.isNull()
    assert sorted(size.width() for size in icon.availableSizes()) == list(SIZES)
    assert icon.pixmap(64, 64).toImage().pixelColor(32, 32).alpha() == 255
