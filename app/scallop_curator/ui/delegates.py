"""Delegates that draw conversations, turns and proposals. Text is always drawn with
``drawText`` (plain text): markup in a chat message is shown literally, never interpreted or
fetched. Colours come from the palette's roles, so a dark palette reads as well as a light one."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from scallop_curator.ui import roles

PAD = 8
BAR = 4
MAX_LINES = 14
_WRAP = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft) | int(Qt.AlignmentFlag.AlignTop)
_ROLE = QPalette.ColorRole

STATUS_COLOURS = {
    "pending": "#2f6fd6",
    "accepted": "#2e8b57",
    "edited": "#2e8b57",
    "rejected": "#c0392b",
    "skipped": "#8a8a8a",
}


def _plain(text: str) -> str:
    # drawText has no rich-text mode, but a long single line still needs limits for layout.
    return text.replace("\t", "    ")


def blend(first: QColor, second: QColor, amount: float) -> QColor:
    """``amount`` of ``second`` over ``first``: shades derived from the palette, light or dark."""
    return QColor(
        round(first.red() + (second.red() - first.red()) * amount),
        round(first.green() + (second.green() - first.green()) * amount),
        round(first.blue() + (second.blue() - first.blue()) * amount),
    )


def _text_width(option: QStyleOptionViewItem, reserved: int) -> int:
    widget = option.widget
    width = widget.viewport().width() if isinstance(widget, QWidget) and hasattr(widget, "viewport") else option.rect.width()
    return max(width - reserved - 2 * PAD - BAR, 80)


def _label_width(small: QFont) -> int:
    """The ROLE column: as wide as its longest word in the current font, so it scales with it."""
    return QFontMetrics(small).horizontalAdvance("ASSISTANT") + PAD


def _full_height(metrics: QFontMetrics, width: int, text: str) -> int:
    return metrics.boundingRect(QRect(0, 0, width, 100000), _WRAP, text).height()


def _elided_height(metrics: QFontMetrics, width: int, text: str) -> int:
    return min(_full_height(metrics, width, text), metrics.lineSpacing() * MAX_LINES)


def hidden_lines(metrics: QFontMetrics, width: int, text: str) -> int:
    """How many wrapped lines of ``text`` the card leaves out (0: it shows it all)."""
    full = _full_height(metrics, width, text)
    shown = metrics.lineSpacing() * MAX_LINES
    return 0 if full <= shown else -(-(full - shown) // metrics.lineSpacing())


class _Card(QStyledItemDelegate):
    def _small(self, option: QStyleOptionViewItem) -> QFont:
        font = QFont(option.font)
        font.setPointSizeF(max(font.pointSizeF() * 0.88, 7.0))
        return font

    @staticmethod
    def _selected(option: QStyleOptionViewItem) -> bool:
        return bool(option.state & QStyle.StateFlag.State_Selected)

    def _background(self, painter: QPainter, option: QStyleOptionViewItem, highlighted: bool) -> None:
        palette = option.palette
        highlight = palette.color(_ROLE.Highlight)
        if self._selected(option):
            painter.fillRect(option.rect, highlight)
        elif highlighted:
            painter.fillRect(option.rect, blend(palette.color(_ROLE.Base), highlight, 0.22))
        if highlighted and not self._selected(option):
            painter.fillRect(QRect(option.rect.left(), option.rect.top(), BAR, option.rect.height()), highlight)
        painter.setPen(blend(palette.color(_ROLE.Base), palette.color(_ROLE.Text), 0.12))
        painter.drawLine(option.rect.bottomLeft(), option.rect.bottomRight())

    def _text_colour(self, option: QStyleOptionViewItem) -> QColor:
        return option.palette.color(_ROLE.HighlightedText if self._selected(option) else _ROLE.Text)

    def _quiet_colour(self, option: QStyleOptionViewItem) -> QColor:
        """Secondary text: a mix of the text and its background, readable on both."""
        palette = option.palette
        if self._selected(option):
            return blend(palette.color(_ROLE.HighlightedText), palette.color(_ROLE.Highlight), 0.25)
        return blend(palette.color(_ROLE.Text), palette.color(_ROLE.Base), 0.42)


class TurnDelegate(_Card):
    """ROLE  text, with a grey note under user turns (quiet, proposed, cut, unreadable, not
    extracted) and, for a message longer than the card shows, a line saying how much is cut."""

    def _cut_line(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex, width: int) -> str:
        hidden = hidden_lines(QFontMetrics(option.font), width, _plain(index.data() or ""))
        if not hidden:
            return ""
        return f"⋯ {hidden} more line{'s' if hidden > 1 else ''}: the whole message is in the reader below"

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        label_width = _label_width(self._small(option))
        width = _text_width(option, label_width)
        metrics = QFontMetrics(option.font)
        height = _elided_height(metrics, width, _plain(index.data() or ""))
        small_line = QFontMetrics(self._small(option)).lineSpacing() + 2
        if self._cut_line(option, index, width):
            height += small_line
        if index.data(roles.NOTE_ROLE):
            height += small_line
        return QSize(width + label_width, height + 2 * PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        self._background(painter, option, bool(index.data(roles.HIGHLIGHT_ROLE)))
        rect = option.rect.adjusted(PAD + BAR, PAD, -PAD, -PAD)
        role = str(index.data(roles.ROLE_ROLE) or "")
        small = self._small(option)
        small_metrics = QFontMetrics(small)
        painter.setFont(small)
        if self._selected(option):
            painter.setPen(self._text_colour(option))
        else:
            painter.setPen(option.palette.color(_ROLE.Link) if role == "user" else self._quiet_colour(option))
        label_width = _label_width(small)
        painter.drawText(QRect(rect.left(), rect.top() + 1, label_width, small_metrics.lineSpacing()),
                         int(Qt.AlignmentFlag.AlignLeft), role.upper())
        text_rect = QRect(rect.left() + label_width, rect.top(), rect.width() - label_width, rect.height())
        painter.setFont(option.font)
        painter.setPen(self._text_colour(option))
        metrics = QFontMetrics(option.font)
        text = _plain(index.data() or "")
        body_height = _elided_height(metrics, text_rect.width(), text)
        painter.drawText(QRect(text_rect.left(), text_rect.top(), text_rect.width(), body_height), _WRAP, text)
        top = text_rect.top() + body_height + 2
        painter.setFont(small)
        cut = self._cut_line(option, index, text_rect.width())
        if cut:
            painter.setPen(self._text_colour(option) if self._selected(option) else option.palette.color(_ROLE.Link))
            painter.drawText(QRect(text_rect.left(), top, text_rect.width(), small_metrics.lineSpacing()),
                             int(Qt.AlignmentFlag.AlignLeft),
                             small_metrics.elidedText(cut, Qt.TextElideMode.ElideRight, text_rect.width()))
            top += small_metrics.lineSpacing() + 2
        note = str(index.data(roles.NOTE_ROLE) or "")
        if note:
            warn = note.startswith("⚠") and not self._selected(option)
            painter.setPen(QColor("#d04a3a") if warn else self._quiet_colour(option))
            painter.drawText(QRect(text_rect.left(), top, text_rect.width(), small_metrics.lineSpacing()),
                             int(Qt.AlignmentFlag.AlignLeft),
                             small_metrics.elidedText(note, Qt.TextElideMode.ElideRight, text_rect.width()))
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
        selected = self._selected(option)
        rect = option.rect.adjusted(PAD + BAR, PAD, -PAD, -PAD)
        status = str(index.data(roles.STATUS_ROLE) or "")
        colour = QColor(STATUS_COLOURS.get(status, "#8a8a8a"))
        painter.setPen(self._text_colour(option) if selected else Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(rect.left(), rect.top() + 5, 8, 8)
        text = _plain(index.data() or "")
        metrics = QFontMetrics(option.font)
        body = QRect(rect.left() + 16, rect.top(), rect.width() - 16, _elided_height(metrics, rect.width() - 16, text))
        font = QFont(option.font)
        font.setStrikeOut(status == "rejected")
        painter.setFont(font)
        painter.setPen(self._quiet_colour(option) if status == "skipped" else self._text_colour(option))
        painter.drawText(body, _WRAP, text)
        small = self._small(option)
        painter.setFont(small)
        small_metrics = QFontMetrics(small)
        line_top = body.bottom() + 4
        chip = status.upper()
        chip_width = small_metrics.horizontalAdvance(chip) + 10
        painter.setPen(self._text_colour(option) if selected else colour)
        painter.drawText(QRect(rect.right() - chip_width, line_top, chip_width, small_metrics.lineSpacing()),
                         int(Qt.AlignmentFlag.AlignRight), chip)
        painter.setPen(self._quiet_colour(option))
        detail = small_metrics.elidedText(str(index.data(roles.DETAIL_ROLE) or ""), Qt.TextElideMode.ElideRight,
                                          rect.width() - 16 - chip_width - 8)
        painter.drawText(QRect(rect.left() + 16, line_top, rect.width() - 16, small_metrics.lineSpacing()),
                         int(Qt.AlignmentFlag.AlignLeft), detail)
        painter.restore()


class ConversationDelegate(_Card):
    """Two lines: the title (elided, never the count) with the pending count on the right, then
    the date and how many user turns are not extracted yet, so equal titles can be told apart."""

    def count_text(self, index: QModelIndex | QPersistentModelIndex) -> str:
        return "—" if not index.data(roles.EXTRACTED_ROLE) else str(index.data(roles.PENDING_ROLE) or 0)

    def title_width(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> int:
        """The room the title gets: the row less the count and the paddings."""
        metrics = QFontMetrics(option.font)
        count_width = max(metrics.horizontalAdvance(self.count_text(index)), metrics.horizontalAdvance("00")) + PAD
        return max(option.rect.width() - count_width - 2 * PAD - BAR, 10)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        painter.save()
        self._background(painter, option, False)
        rect = option.rect.adjusted(PAD + BAR, 4, -PAD, -4)
        metrics = QFontMetrics(option.font)
        small = self._small(option)
        small_metrics = QFontMetrics(small)
        title_rect = QRect(rect.left(), rect.top(), self.title_width(option, index), metrics.lineSpacing())
        painter.setFont(option.font)
        painter.setPen(self._text_colour(option))
        title = _plain(str(index.data() or "")).replace("\n", " ")
        painter.drawText(title_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         metrics.elidedText(title, Qt.TextElideMode.ElideRight, title_rect.width()))
        pending = index.data(roles.PENDING_ROLE) or 0
        if self._selected(option):
            painter.setPen(self._text_colour(option))
        else:
            painter.setPen(option.palette.color(_ROLE.Link) if pending else self._quiet_colour(option))
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), metrics.lineSpacing()),
                         int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), self.count_text(index))
        painter.setFont(small)
        painter.setPen(self._quiet_colour(option))
        subtitle = str(index.data(roles.SUBTITLE_ROLE) or "")
        painter.drawText(QRect(rect.left(), rect.top() + metrics.lineSpacing() + 2, rect.width(), small_metrics.lineSpacing()),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         small_metrics.elidedText(subtitle, Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        # Width 1: the row takes the view's width; a long title is elided, never scrolled to.
        height = QFontMetrics(option.font).lineSpacing() + QFontMetrics(self._small(option)).lineSpacing() + 2 + 8
        return QSize(1, height)
