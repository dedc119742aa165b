"""Custom item-data roles shared by the models and their delegates."""

from PySide6.QtCore import Qt

ID_ROLE = Qt.ItemDataRole.UserRole + 1
PENDING_ROLE = Qt.ItemDataRole.UserRole + 2
EXTRACTED_ROLE = Qt.ItemDataRole.UserRole + 3
ROLE_ROLE = Qt.ItemDataRole.UserRole + 4
NOTE_ROLE = Qt.ItemDataRole.UserRole + 5
HIGHLIGHT_ROLE = Qt.ItemDataRole.UserRole + 6
STATUS_ROLE = Qt.ItemDataRole.UserRole + 7
TURN_ID_ROLE = Qt.ItemDataRole.UserRole + 8
DETAIL_ROLE = Qt.ItemDataRole.UserRole + 9
DATE_ROLE = Qt.ItemDataRole.UserRole + 10
UNEXTRACTED_ROLE = Qt.ItemDataRole.UserRole + 11  # user turns with no result yet
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 12  # the grey second line of a conversation
RELATION_ROLE = Qt.ItemDataRole.UserRole + 13  # a pending proposal's relation to kept memories
