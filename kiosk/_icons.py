"""Large verdict symbols painted with QPainter.

Colour alone must never carry the verdict (colour-blind visitors, sunlight on the screen), so each
outcome has its own shape: a check mark, an exclamation mark, a cross, a question mark. Painting
them keeps them sharp at any screen size.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk._words import Symbol


class SymbolWidget(QWidget):
    """A white disc with a symbol in ``color`` (or an ID-card outline for the idle screen)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._symbol = Symbol.CARD
        self._color = QColor("#0D3B66")
        self._disc = QColor("#FFFFFF")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(96, 96))

    def set_symbol(self, symbol: Symbol, color: QColor, disc: QColor | None = None) -> None:
        self._symbol = symbol
        self._color = color
        self._disc = disc if disc is not None else QColor("#FFFFFF")
        self.setAccessibleName(symbol)
        self.update()

    def symbol(self) -> Symbol:
        return self._symbol

    def paintEvent(self, event: QPaintEvent) -> None:
        del event
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self._symbol is Symbol.CARD_OR_CODE:
            # Two discs side by side: what the person can do, as pictures.
            side = min(self.width() / 2.2, self.height())
            gap = side * 0.2
            left = (self.width() - 2 * side - gap) / 2
            top = (self.height() - side) / 2
            for i, draw in enumerate((self._paint_card, self._paint_qr)):
                box = QRectF(left + i * (side + gap), top, side, side)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(self._disc)
                p.drawEllipse(box)
                draw(p, box, side)
            p.end()
            return
        side = min(self.width(), self.height())
        box = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._disc)
        p.drawEllipse(box)
        pen = QPen(self._color, side * 0.11)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)

        def at(x: float, y: float) -> QPointF:
            return QPointF(box.left() + x * side, box.top() + y * side)

        if self._symbol is Symbol.CHECK:
            path = QPainterPath(at(0.27, 0.52))
            path.lineTo(at(0.44, 0.69))
            path.lineTo(at(0.74, 0.34))
            p.drawPath(path)
        elif self._symbol is Symbol.CROSS:
            p.drawLine(at(0.32, 0.32), at(0.68, 0.68))
            p.drawLine(at(0.68, 0.32), at(0.32, 0.68))
        elif self._symbol is Symbol.EXCLAMATION:
            p.drawLine(at(0.5, 0.24), at(0.5, 0.58))
            p.drawPoint(at(0.5, 0.76))
        elif self._symbol is Symbol.QUESTION:
            font = QFont("Noto Sans CJK SC")
            font.setPixelSize(int(side * 0.62))
            font.setBold(True)
            p.setFont(font)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, "?")
        elif self._symbol is Symbol.QR:
            self._paint_qr(p, box, side)
        else:
            self._paint_card(p, box, side)
        p.end()

    def _paint_qr(self, p: QPainter, box: QRectF, side: float) -> None:
        """A pass code held up to the camera: three finder squares and a few modules."""
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self._color)
        cell = side * 0.05
        x0, y0 = box.left() + side * 0.25, box.top() + side * 0.25
        for fx, fy in ((0, 0), (7, 0), (0, 7)):
            p.drawRect(QRectF(x0 + fx * cell, y0 + fy * cell, 3 * cell, 3 * cell))
        for mx, my in ((5, 1), (5, 4), (8, 5), (6, 7), (9, 8), (4, 9), (8, 9), (4, 5)):
            p.drawRect(QRectF(x0 + mx * cell, y0 + my * cell, cell, cell))

    def _paint_card(self, p: QPainter, box: QRectF, side: float) -> None:
        """A resident ID card held over a reader: the idle screen's picture of what to do."""
        p.setPen(QPen(self._color, side * 0.035))
        card = QRectF(box.left() + side * 0.2, box.top() + side * 0.3, side * 0.6, side * 0.38)
        p.drawRoundedRect(card, side * 0.04, side * 0.04)
        photo = QRectF(card.left() + side * 0.05, card.top() + side * 0.07, side * 0.14, side * 0.2)
        p.drawRect(photo)
        for i in range(3):
            y = card.top() + side * (0.1 + 0.08 * i)
            left, right = card.left() + side * 0.25, card.right() - side * 0.05
            p.drawLine(QPointF(left, y), QPointF(right, y))
        # contactless waves above the card
        for i in range(3):
            r = side * (0.06 + 0.05 * i)
            arc = QRectF(box.center().x() - r, card.top() - side * 0.04 - r, 2 * r, 2 * r)
            p.drawArc(arc, 45 * 16, 90 * 16)
