"""The mark ``pyside6-lupdate`` looks for on every screen string (pure: no Qt).

``QT_TRANSLATE_NOOP("Context", "source")`` returns the source unchanged; the views translate it
at display time. PySide6's own marker is typed as returning ``object`` and loads Qt; this one keeps
the pure modules' word tables ``str`` and Qt-free.
"""

from __future__ import annotations


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:
    del context  # read by lupdate from the call itself
    return source
