"""What the kiosk plays: which sound files go with each verdict and prompt, and what each says.

Pure Python (no Qt), so the choice is tested without an audio device; ``kiosk._sound`` plays the
files this module names. Every verdict gets an earcon (one per outcome, distinct in pitch and
rhythm so colour is never the only cue) followed by one spoken line in the person's language.
The spoken line is the reason's when the reason has one worth saying (a card pulled too soon,
an expired code), otherwise the outcome's. A pass always says "please go through": site policy
may let an amber reason pass, and the voice must not contradict the gate.

Files live under ``assets/sounds/`` as ``earcon_<outcome>.wav`` and ``<language>/<prompt>.wav``.
``tools/make_sounds.py`` generates them from :data:`SPOKEN`; a recorded human voice replaces a
file of the same name (docs/sound.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from codes import REASONS, Outcome

LANGUAGES = ("zh_CN", "zh_HK", "en")

EARCONS: Mapping[Outcome, str] = MappingProxyType(
    {outcome: f"earcon_{outcome.value}.wav" for outcome in Outcome}
)

# What each prompt says, per language: Mandarin in Simplified characters, Cantonese in
# Traditional characters as spoken in Hong Kong (拍卡, 搵職員), English. Short sentences: a gate
# is noisy and the person is already moving.
SPOKEN: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "idle_help": {
        "zh_CN": "请刷身份证，或出示通行码。",
        "zh_HK": "請拍身份證，或者出示通行碼。",
        "en": "Please tap your ID card, or show your pass code.",
    },
    "pass": {
        "zh_CN": "请通行。",
        "zh_HK": "請通行。",
        "en": "Please go through.",
    },
    "wait_for_staff": {
        "zh_CN": "请稍候，工作人员会来查看。",
        "zh_HK": "請稍等，職員會嚟睇下。",
        "en": "Please wait for staff.",
    },
    "see_staff": {
        "zh_CN": "不能通行，请找工作人员。",
        "zh_HK": "唔可以通行，請搵職員。",
        "en": "Entry not allowed. Please see staff.",
    },
    "try_again": {
        "zh_CN": "无法识别，请重试。",
        "zh_HK": "認唔到，請再試一次。",
        "en": "Not recognised. Please try again.",
    },
    "card_removed": {
        "zh_CN": "卡片移开太早，请把卡放在读卡器上两秒。",
        "zh_HK": "張卡太早移開，請將卡放喺讀卡器上面兩秒。",
        "en": "The card moved too soon. Please hold it on the reader for two seconds.",
    },
    "read_timeout": {
        "zh_CN": "读取时间太长，请重试。",
        "zh_HK": "讀取時間太長，請再試一次。",
        "en": "Reading took too long. Please try again.",
    },
    "code_expired": {
        "zh_CN": "通行码已过期，请重新申领。",
        "zh_HK": "通行碼已經過期，請重新申領。",
        "en": "This code has expired. Please get a new one.",
    },
    "code_not_yet_valid": {
        "zh_CN": "通行码尚未生效。",
        "zh_HK": "通行碼仲未生效。",
        "en": "This code is not valid yet.",
    },
    "not_a_pass_code": {
        "zh_CN": "这不是通行码。",
        "zh_HK": "呢個唔係通行碼。",
        "en": "This is not a pass code.",
    },
    "code_withdrawn": {
        "zh_CN": "此通行码已作废，请找工作人员。",
        "zh_HK": "呢個通行碼已經作廢，請搵職員。",
        "en": "This code has been withdrawn. Please see staff.",
    },
    "bad_id_number": {
        "zh_CN": "身份证号码无效，请核对。",
        "zh_HK": "身份證號碼唔啱，請核對。",
        "en": "The ID number is not valid. Please check it.",
    },
    "ask_staff": {
        "zh_CN": "出现问题，请找工作人员。",
        "zh_HK": "出咗問題，請搵職員。",
        "en": "Something went wrong. Please see staff.",
    },
    "out_of_service": {
        "zh_CN": "本闸机暂停服务，请找工作人员。",
        "zh_HK": "呢部閘機暫停服務，請搵職員。",
        "en": "This gate is out of service. Please see staff.",
    },
})

PROMPTS = tuple(SPOKEN)

# The spoken line for each outcome when its reason has none of its own.
OUTCOME_PROMPTS: Mapping[Outcome, str] = MappingProxyType({
    Outcome.PASS: "pass",
    Outcome.ATTENTION: "wait_for_staff",
    Outcome.DENY: "see_staff",
    Outcome.INVALID: "try_again",
})

# Reasons whose own line tells the person more than the outcome's (PK1 spec §4 and §6, and the
# gate's read failures). The rest (bad_signature, unknown_key, status_red, ...) speak the
# outcome's line: the screen carries the detail, staff explain it.
REASON_PROMPTS: Mapping[str, str] = MappingProxyType({
    "card_removed": "card_removed",
    "read_timeout": "read_timeout",
    "bad_card_serial": "try_again",
    "expired": "code_expired",
    "not_yet_valid": "code_not_yet_valid",
    "wrong_prefix": "not_a_pass_code",
    "malformed": "not_a_pass_code",
    "too_large": "not_a_pass_code",
    "revoked_token": "code_withdrawn",
    "bad_id_number": "bad_id_number",
    "internal_error": "ask_staff",
})


class SoundPlanError(ValueError):
    """A sound was asked for with a language, prompt or reason the kiosk does not have."""


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise SoundPlanError(
            f"expected a kiosk language ({', '.join(LANGUAGES)}), got {language!r}"
        )


def prompt_file(name: str, language: str) -> str:
    """The sound file (relative to the sounds folder, ``/``-separated) for one prompt."""
    _check_language(language)
    if name not in SPOKEN:
        raise SoundPlanError(f"expected a prompt name ({', '.join(PROMPTS)}), got {name!r}")
    return f"{language}/{name}.wav"


def verdict_prompt(outcome: Outcome, reason: str) -> str:
    """The prompt spoken after the earcon for a verdict."""
    if reason not in REASONS:
        raise SoundPlanError(f"expected a verdict reason (codes.REASONS), got {reason!r}")
    if outcome is Outcome.PASS:
        return OUTCOME_PROMPTS[outcome]
    return REASON_PROMPTS.get(reason, OUTCOME_PROMPTS[outcome])


def verdict_files(outcome: Outcome, reason: str, language: str) -> tuple[str, str]:
    """The files played for a verdict, in order: the outcome's earcon, then the spoken line."""
    _check_language(language)
    return EARCONS[Outcome(outcome)], prompt_file(verdict_prompt(outcome, reason), language)


def all_files() -> tuple[str, ...]:
    """Every file the plan can name: what the sounds folder must hold."""
    return tuple(EARCONS.values()) + tuple(
        prompt_file(name, language) for language in LANGUAGES for name in PROMPTS
    )
