"""FakeVerifier: answers the kiosk controller with scripted verdicts (for Qt view tests).

Stands in for the verification side (codes + synced store) so the window tests exercise only
the gate machine, the controller's threading and the view.
"""

from __future__ import annotations

import threading

from codes import Outcome, Verdict
from readers import CardPresented


class FakeVerifier:
    def __init__(self) -> None:
        self.by_code: dict[str, Verdict] = {}
        self.card_verdict = Verdict(Outcome.PASS, "no_record", format="CARD")
        self.id_verdict = Verdict(Outcome.PASS, "no_record", format="ID")
        self.calls: list[tuple[str, str]] = []
        self.release = threading.Event()  # cleared: reads block until the test releases them
        self.release.set()

    def check_code(self, text: str) -> Verdict:
        self.calls.append(("code", text))
        self.release.wait(10)
        return self.by_code.get(text, Verdict(Outcome.INVALID, "malformed"))

    def check_card(self, card: CardPresented) -> Verdict:
        self.calls.append(("card", card.serial or ""))
        self.release.wait(10)
        return self.card_verdict

    def check_id(self, id18: str) -> Verdict:
        self.calls.append(("id", "<id>"))
        self.release.wait(10)
        return self.id_verdict
