"""Safe-by-construction HTML for the console: text is escaped unless it is already ``Markup``.

Pages are built from ``el(tag, *children, **attrs)``; a plain ``str`` child or attribute value
is always escaped, so a resident's name such as ``<script>`` reaches the browser as text. Only
``Markup`` (what ``el`` and ``raw`` return) passes through unescaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

_VOID = frozenset({"input", "meta", "link", "br", "hr", "img"})


class Markup(str):
    """Text that is already HTML (made by ``el`` or ``raw``): never escaped again."""

    __slots__ = ()

    def __add__(self, other: str) -> Markup:
        return Markup(str.__add__(self, esc(other)))

    def __radd__(self, other: str) -> Markup:
        return Markup(str.__add__(esc(other), self))



def esc(value: object) -> Markup:
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def raw(text: str) -> Markup:
    """A fixed HTML fragment written in this package (never data from a request)."""
    return Markup(text)


def _children(items: Iterable[object]) -> str:
    out: list[str] = []
    for item in items:
        if item is None or item is False:
            continue
        if isinstance(item, str | int):
            out.append(esc(item))
        elif isinstance(item, Iterable):
            out.append(_children(item))
        else:
            out.append(esc(item))
    return "".join(out)


def el(tag: str, *children: object, **attrs: object) -> Markup:
    """``<tag attrs>children</tag>``; attribute names lose a trailing ``_`` (``class_``) and
    turn ``_`` into ``-`` (``aria_label``); True is a bare attribute, None/False omit it."""
    parts = [tag]
    for name, value in attrs.items():
        if value is None or value is False:
            continue
        key = name.rstrip("_").replace("_", "-")
        parts.append(key if value is True else f'{key}="{esc(value)}"')
    head = "<" + " ".join(parts) + ">"
    if tag in _VOID:
        return Markup(head)
    return Markup(f"{head}{_children(children)}</{tag}>")


def frag(*children: object) -> Markup:
    return Markup(_children(children))


def t(zh: str, en: str) -> Markup:
    """Simplified Chinese first, English second (the console shows both, every time)."""
    return Markup(f'<span lang="zh-CN">{esc(zh)}</span>'
                  f'<span class="en" lang="en">{esc(en)}</span>')


def tt(zh: str, en: str) -> str:
    """Both languages as one plain string (titles, attribute values)."""
    return f"{zh} / {en}"
