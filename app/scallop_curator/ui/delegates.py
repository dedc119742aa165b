"""Delegates that draw turns and proposals as cards. Text is always drawn as plain text:
markup in a chat message is shown literally, never interpreted or fetched."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from scallop_curator.ui import roles

PAD = 8
BAR = 4
MAX_LINES = 14
_WRAP = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft) | int(Qt.AlignmentFlag.AlignTop)

STATUS_COLOURS = {
    "pending": "#2f6fd6",
    "accepted": "#2e8b57",
    "edited": "#2e8b57",
    "rejected": "#b03a2e",
    "skipped": "#8a8a8a",
}


def _plain(text: str) -> str:
    # drawText has no rich-text mode, but a long single line still needs limits for layout.
    return text.replace("\t", "    ")


def _text_width(option: QStyleOptionViewItem, reserved: int) -> int:
    widget = option.widget
    width = widget.viewport().width() if isinstance(widget, QWidget) and hasattr(widget, "viewport") else option.rect.width()
    return max(width - reserved - 2 * PAD - BAR, 80)


def _label_width(small: QFont) -> int:
    """The ROLE column: as wide as its longest word in the current font, so it scales with it."""
    return QFontMetrics(small).horizontalAdvance("ASSISTANT") + PAD


def _elided_height(metrics: QFontMetrics, width: int, text: str) -> int:
    height = metrics.boundingRect(QRect(0, 0, width, 100000), _WRAP, text).height()
    return min(height, metrics.lineSpacing() * MAX_LINES)


class _Card(QStyledItemDelegate):
    def _small(self, option: QStyleOptionViewItem) -> QFont:
        font = QFont(option.font)
        font.setPointSizeF(max(font.pointSizeF() * 0.88, 7.0))
        return font

    def _background(self, painter: QPainter, option: QStyleOptionViewItem, highlighted: bool) -> None:
        palette = option.palette
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, palette.color(QPalette.ColorRole.Highlight).lighter(175))
        elif highlighted:
            painter.fillRect(option.rect, QColor("#eef3fb"))
        if highlighted or option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(QRect(option.rect.left(), option.rect.top(), BAR, option.rect.height()),
                             palette.color(QPalette.ColorRole.Highlight))
        painter.setPen(QColor("#e2e2e2"))
        painter.drawLine(option.rect.bottomLeft(), option.rect.bottomRight())


class TurnDelegate(_Card):
    """ROLE  text, with a grey note under user turns (quiet, proposed, cut, unreadable)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        label_width = _label_width(self._small(option))
        width = _text_width(option, label_width)
        metrics = QFontMetrics(option.font)
        height = _elided_height(metrics, width, _plain(index.data() or ""))
        if index.data(roles.NOTE_ROLE):
            height += QFontMetrics(self._small(option)).lineSpacing() + 2
        return QSize(width + label_width, height + 2 * PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        self._background(painter, option, bool(index.data(roles.HIGHLIGHT_ROLE)))
        rect = option.rect.adjusted(PAD + BAR, PAD, -PAD, -PAD)
        role = str(index.data(roles.ROLE_ROLE) or "")
        small = self._small(option)
        painter.setFont(small)
        painter.setPen(QColor("#2f6fd6") if role == "user" else QColor("#777777"))
        label_width = _label_width(small)
        painter.drawText(QRect(rect.left(), rect.top() + 1, label_width, QFontMetrics(small).lineSpacing()),
                         int(Qt.AlignmentFlag.AlignLeft), role.upper())
        text_rect = QRect(rect.left() + label_width, rect.top(), rect.width() - label_width, rect.height())
        painter.setFont(option.font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text))
        metrics = QFontMetrics(option.font)
        body_height = _elided_height(metrics, text_rect.width(), _plain(index.data() or ""))
        painter.drawText(QRect(text_rect.left(), text_rect.top(), text_rect.width(), body_height), _WRAP,
                         _plain(index.data() or ""))
        note = str(index.data(roles.NOTE_ROLE) or "")
        if note:
            painter.setFont(small)
            painter.setPen(QColor("#b03a2e") if note.startswith("⚠") else QColor("#8a8a8a"))
            painter.drawText(QRect(text_rect.left(), text_rect.top() + body_height + 2, text_rect.width(), 40),
                             int(Qt.AlignmentFlag.AlignLeft), QFontMetrics(small).elidedText(note, Qt.TextElideMode.ElideRight, text_rect.width()))
        painter.restore()


class ProposalDelegate(_Card):
    """● fact text / subject · category · confidence / status chip."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        width = _text_width(option, 0)
        metrics = QFontMetrics(option.font)
        height = _elided_height(metrics, width - 16, _plain(index.data() or ""))
        height += QFontMetrics(self._small(option)).lineSpacing() * 1 + 4
        return QSize(width, height + 2 * PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        self._background(painter, option, False)
        rect = option.rect.adjusted(PAD + BAR, PAD, -PAD, -PAD)
        status = str(index.data(roles.STATUS_ROLE) or "")
        colour = QColor(STATUS_COLOURS.get(status, "#555555"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(rect.left(), rect.top() + 5, 8, 8)
        text = _plain(index.data() or "")
        metrics = QFontMetrics(option.font)
        body = QRect(rect.left() + 16, rect.top(), rect.width() - 16, _elided_height(metrics, rect.width() - 16, text))
        font = QFont(option.font)
        font.setStrikeOut(status == "rejected")
        painter.setFont(font)
        painter.setPen(option.palette.color(QPalette.ColorRole.Text) if status != "skipped" else QColor("#8a8a8a"))
        painter.drawText(body, _WRAP, text)
        small = self._small(option)
        painter.setFont(small)
        small_metrics = QFontMetrics(small)
        line_top = body.bottom() + 4
        chip = status.upper()
        chip_width = small_metrics.horizontalAdvance(chip) + 10
        painter.setPen(colour)
        painter.drawText(QRect(rect.right() - chip_width, line_top, chip_width, small_metrics.lineSpacing()),
                         int(Qt.AlignmentFlag.AlignRight), chip)
        painter.setPen(QColor("#777777"))
        detail = small_metrics.elidedText(str(index.data(roles.DETAIL_ROLE) or ""), Qt.TextElideMode.ElideRight,
                                          rect.width() - 16 - chip_width - 8)
        painter.drawText(QRect(rect.left() + 16, line_top, rect.width() - 16, small_metrics.lineSpacing()),
                         int(Qt.AlignmentFlag.AlignLeft), detail)
        painter.restore()


class ConversationDelegate(QStyledItemDelegate):
    """Title on the left; pending count, or '—' when not extracted yet, on the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        self.initStyleOption(option, index)
        count = "—" if not index.data(roles.EXTRACTED_ROLE) else str(index.data(roles.PENDING_ROLE) or 0)
        metrics = QFontMetrics(option.font)
        count_width = metrics.horizontalAdvance("0000") + PAD
        option.text = metrics.elidedText(option.text, Qt.TextElideMode.ElideRight, option.rect.width() - count_width - 2 * PAD)
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        painter.save()
        pending = index.data(roles.PENDING_ROLE) or 0
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(option.palette.color(QPalette.ColorRole.HighlightedText))
        else:
            painter.setPen(QColor("#2f6fd6") if pending else QColor("#999999"))
        rect = option.rect.adjusted(0, 0, -PAD, 0)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), count)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), QFontMetrics(option.font).lineSpacing() + 10))
