"""Bar charts drawn with QPainter.

QtCharts lives in PySide6-Addons (a wheel of well over 100 MB that also carries WebEngine, 3D and
Multimedia), not in the PySide6-Essentials the app depends on; four bar charts do not justify it.
A chart is a title and one or two series of labelled values; it holds no data beyond them.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QWidget

SERIES_COLOURS = (QColor("#3b7dd8"), QColor("#e0863c"))


class BarChart(QWidget):
    """Vertical bars, one group per label, one bar per series; values printed above the bars."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.labels: list[str] = []
        self.series: list[tuple[str, list[float]]] = []
        self.value_format = "{:.2f}"
        self.setMinimumSize(QSize(320, 200))
        self.setAccessibleName(title)

    def set_data(self, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                 value_format: str = "{:.2f}") -> None:
        self.labels = list(labels)
        self.series = [(name, [float(v) for v in values]) for name, values in series]
        self.value_format = value_format
        self.setToolTip("\n".join(
            f"{label}: " + ", ".join(f"{name} {value_format.format(values[i])}" for name, values in self.series)
            for i, label in enumerate(self.labels)))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, 240)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_colour = self.palette().color(QPalette.ColorRole.WindowText)
        painter.setPen(text_colour)
        metrics = painter.fontMetrics()
        line = metrics.height()
        width, height = self.width(), self.height()
        painter.drawText(QRectF(0, 0, width, line + 4), Qt.AlignmentFlag.AlignHCenter, self.title)
        if not self.labels or not self.series:
            painter.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, "nothing to show yet")
            painter.end()
            return
        legend_y = line + 4
        if len(self.series) > 1:
            x = 8.0
            for colour, (name, _values) in zip(SERIES_COLOURS, self.series):
                painter.fillRect(QRectF(x, legend_y + 3, 10, 10), colour)
                painter.drawText(QRectF(x + 14, legend_y, 200, line), Qt.AlignmentFlag.AlignLeft, name)
                x += 24 + metrics.horizontalAdvance(name)
            legend_y += line
        top, bottom = legend_y + line + 4, height - 2 * line - 4
        plot = QRectF(8, top, width - 16, max(10.0, bottom - top))
        peak = max((v for _n, values in self.series for v in values), default=0.0) or 1.0
        group = plot.width() / len(self.labels)
        bar = max(2.0, group * 0.8 / len(self.series))
        painter.drawLine(int(plot.left()), int(plot.bottom()), int(plot.right()), int(plot.bottom()))
        for i, label in enumerate(self.labels):
            left = plot.left() + i * group + group * 0.1
            for s, (colour, (_name, values)) in enumerate(zip(SERIES_COLOURS, self.series)):
                value = values[i] if i < len(values) else 0.0
                h = plot.height() * value / peak
                rect = QRectF(left + s * bar, plot.bottom() - h, bar - 1, h)
                painter.fillRect(rect, colour)
                painter.drawText(QRectF(rect.left() - 20, rect.top() - line, bar + 40, line),
                                 Qt.AlignmentFlag.AlignHCenter, self.value_format.format(value))
            painter.drawText(QRectF(plot.left() + i * group, plot.bottom() + 2, group, 2 * line),
                             Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap, label)
        painter.end()
