"""A large on-screen keypad, and the look shared by the helper and PIN screens.

Every key is at least 96x96 px with text of at least 32 px (kiosk._style), laid out like a phone's
ID-number keyboard: 1–9, then X, 0 and delete, with "clear" across the bottom (the PIN pad has
no X: "clear" takes its place). Keys never take keyboard focus: the barcode scanner types into
the app as a keyboard, and a focused button would swallow its Enter or Space.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QLocale, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk import _style
from kiosk._marks import QT_TRANSLATE_NOOP

CONTEXT = "Keypad"
DELETE = "delete"
CLEAR = "clear"
DIGITS = "1234567890"
# The face of the delete key: a symbol all three languages read (its name is for screen readers).
DELETE_FACE = "⌫"




CLEAR_WORD = QT_TRANSLATE_NOOP("Keypad", "Clear")
DELETE_WORD = QT_TRANSLATE_NOOP("Keypad", "Delete")

# The screens' colours, all pairs from kiosk._style (each at least 7:1).
PAGE = _style.PALETTES[None]


def family() -> str:
    """The CJK family for the current language (Qt's default locale, set by install_language)."""
    name = QLocale().name()  # "zh_CN", "zh_HK", or "en_US" for English
    return _style.font_family("en" if name.startswith("en") else name)


def font(px: int, bold: bool = False) -> QFont:
    f = QFont(family())
    f.setPixelSize(max(px, _style.PUBLIC_TEXT_PX))
    f.setBold(bold)
    return f


def scaled(height: int, fraction: float, floor: int = _style.PUBLIC_TEXT_PX) -> int:
    """A type size that grows with the screen height but never drops below ``floor``."""
    return max(floor, round(height * fraction))


def page_style(name: str) -> str:
    """The style sheet of a public touch page called ``name``: white page, dark-blue text,
    light keys with dark-blue faces, dark-blue primary buttons with white faces."""
    key, primary = _style.BUTTON_SECONDARY, _style.BUTTON
    return (
        f"#{name} {{ background: {PAGE.background}; }}"
        f" QLabel {{ color: {PAGE.foreground}; background: transparent; }}"
        f" QLabel[tone=\"error\"] {{ color: {_style.ERROR_TEXT_ON_WHITE}; }}"
        f" QPushButton {{ color: {key.foreground}; background: {key.background};"
        f" border: 3px solid {key.foreground}; border-radius: 16px; padding: 8px 24px; }}"
        f" QPushButton:pressed {{ color: {primary.foreground}; background: {primary.background}; }}"
        f" QPushButton[tone=\"primary\"] {{ color: {primary.foreground};"
        f" background: {primary.background}; border-color: {primary.background}; }}"
        f" QPushButton[tone=\"primary\"]:pressed {{ color: {key.foreground};"
        f" background: {key.background}; }}"
    )


def touch_button(name: str, parent: QWidget, primary: bool = False) -> QPushButton:
    """A button at least 96x96 px that never takes keyboard focus."""
    button = QPushButton(parent)
    button.setObjectName(name)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setAutoDefault(False)
    button.setMinimumSize(_style.TOUCH_TARGET_PX, _style.TOUCH_TARGET_PX)
    button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
    if primary:
        button.setProperty("tone", "primary")
    return button


def set_tone(label: QLabel, tone: str) -> None:
    """Switch a label between plain text and error text (re-polished so the style applies)."""
    if label.property("tone") != tone:
        label.setProperty("tone", tone)
        label.style().unpolish(label)
        label.style().polish(label)


class Keypad(QWidget):
    """Keys 1–9, X, 0, delete and clear; ``keyPressed`` carries ``"0"``–``"9"``, ``"X"``,
    :data:`DELETE` or :data:`CLEAR`. ``with_x=False`` leaves the X key out (the PIN pad)."""

    keyPressed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, with_x: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("keypad")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setStyleSheet("QPushButton { padding: 0px; }")  # the face gets the whole key
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(12)
        self._keys: dict[str, QPushButton] = {}
        for i, d in enumerate(DIGITS[:9]):
            grid.addWidget(self._key(d, d), i // 3, i % 3)
        grid.addWidget(self._key("0", "0"), 3, 1)
        grid.addWidget(self._key(DELETE, DELETE_FACE), 3, 2)
        if with_x:
            grid.addWidget(self._key("X", "X"), 3, 0)
            grid.addWidget(self._key(CLEAR, ""), 4, 0, 1, 3)
        else:
            grid.addWidget(self._key(CLEAR, ""), 3, 0)  # the PIN pad's X place
        self._rows = grid.rowCount()
        for column in range(3):
            grid.setColumnStretch(column, 1)  # equal keys, whatever the faces' widths
        for row in range(self._rows):
            grid.setRowStretch(row, 1)
        self._retranslate()

    def _key(self, key: str, face: str) -> QPushButton:
        button = touch_button(f"key_{key}", self)
        # Sized by the grid alone (at least 96x96), not by the width of its face.
        button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        button.setText(face)
        button.clicked.connect(lambda: self.keyPressed.emit(key))
        self._keys[key] = button
        return button

    def key(self, key: str) -> QPushButton:
        """The button for ``key`` (``"0"``–``"9"``, ``"X"``, :data:`DELETE`, :data:`CLEAR`)."""
        return self._keys[key]

    def key_names(self) -> list[str]:
        return list(self._keys)

    def minimumSizeHint(self) -> QSize:
        side, gap = _style.TOUCH_TARGET_PX, 12
        return QSize(3 * side + 2 * gap, self._rows * (side + gap) - gap)

    def _retranslate(self) -> None:
        self._keys[CLEAR].setText(QCoreApplication.translate(CONTEXT, CLEAR_WORD))
        self._keys[DELETE].setAccessibleName(QCoreApplication.translate(CONTEXT, DELETE_WORD))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
            self._fit(self.height())
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit(event.size().height())
        super().resizeEvent(event)

    def _fit(self, height: int) -> None:
        # Key faces at about 40 % of a key's height (48 px at 1280x800, 64 px at 1920x1080).
        px = scaled(height // self._rows, 0.4, 40)
        for key, button in self._keys.items():
            face = font(px if key != CLEAR else px * 3 // 4, bold=True)
            # A word ("清空", "Clear") shrinks to fit its key, never below the public minimum.
            room = self.width() // 3 - 24
            while (face.pixelSize() > _style.PUBLIC_TEXT_PX
                   and QFontMetrics(face).horizontalAdvance(button.text()) > room):
                face.setPixelSize(face.pixelSize() - 2)
            button.setFont(face)


def keypad_page(page: QWidget, left: list[tuple[QWidget, int]], keypad: Keypad) -> None:
    """Lay a keypad screen out: its words and buttons in a column on the left (each with its
    stretch), the keypad on the right, the same way on every keypad screen."""
    column = QVBoxLayout()
    column.setSpacing(12)
    for widget, stretch in left:
        column.addWidget(widget, stretch)
    layout = QHBoxLayout(page)
    layout.setContentsMargins(48, 32, 48, 32)
    layout.setSpacing(48)
    layout.addLayout(column, 3)
    layout.addWidget(keypad, 2)


class KeypadPage(QWidget):
    """A public keypad screen: it re-reads its words when the language changes (the font family
    follows the language too) and scales its type with the screen height. Subclasses say what
    their words are (``_refresh``) and how large (``_fit``)."""

    def _refresh(self) -> None:
        raise NotImplementedError

    def _fit(self, height: int) -> None:
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._refresh()
            self._fit(self.height())
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit(event.size().height())
        super().resizeEvent(event)
