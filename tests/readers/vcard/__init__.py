"""A virtual Chinese resident ID card and a private pcscd for the PC/SC tests.

Test-only: vpcd listens on the network, so none of this may ever move into kiosk/ or readers/.
"""

from tests.readers.vcard._card import IdCardOS, VirtualCard
from tests.readers.vcard._pcscd import Pcscd, PcscdBusy

__all__ = ["IdCardOS", "Pcscd", "PcscdBusy", "VirtualCard"]
