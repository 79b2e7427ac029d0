"""SceneWatch: sensor noise is not a change, a code-sized patch is; the schedule of a still
scene (times are parameters, so the schedule is exact)."""

from __future__ import annotations

import numpy as np
import pytest

from readers import ReaderError
from readers._scene import SceneConfig, SceneWatch, Step


def frame(rng: np.random.Generator, sigma: float, patch: bool = False) -> np.ndarray:
    f = np.full((720, 1280), 110.0) + rng.normal(0, sigma, (720, 1280))
    if patch:  # a 120x120 card with dark modules, about where a code is shown
        f[300:420, 600:720] = np.where(rng.random((120, 120)) < 0.5, 20.0, 235.0)
    return np.clip(f, 0, 255).astype(np.uint8)


def run(watch: SceneWatch, frames: list[np.ndarray], t0: float = 0.0) -> list[Step]:
    return [watch.step(f, t0 + i / 30) for i, f in enumerate(frames)]


@pytest.mark.parametrize("sigma", [2.0, 8.0, 25.0])
def test_noise_alone_is_a_still_scene(sigma: float) -> None:
    rng = np.random.default_rng(int(sigma))
    noisy = [frame(rng, sigma) for _ in range(15)]  # cycled: each differs from the last
    steps = run(SceneWatch(), [noisy[i % 15] for i in range(120)])
    assert steps[:45] == [Step.FULL] * 45  # a new scene: 1.5 s in full
    quiet = steps[45:]
    assert quiet.count(Step.SKIP) > 40 and quiet.count(Step.FULL) <= 2


def test_a_code_appearing_is_a_change_even_in_heavy_noise() -> None:
    rng = np.random.default_rng(9)
    watch = SceneWatch()
    noisy = [frame(rng, 25.0) for _ in range(15)]
    run(watch, [noisy[i % 15] for i in range(90)])
    assert watch.step(frame(rng, 25.0, patch=True), 3.0) is Step.FULL


def test_same_scene_is_false_only_for_a_frame_that_changed() -> None:
    rng = np.random.default_rng(4)
    watch = SceneWatch()
    assert not watch.same_scene()  # nothing stepped yet
    card = frame(rng, 2.0, patch=True)
    seen = []
    for i, f in enumerate([frame(rng, 2.0), frame(rng, 2.0), card, card]):
        watch.step(f, i / 30)
        seen.append(watch.same_scene())
    # The first frame is a new scene, noise is not a change, the card appearing is.
    assert seen == [False, True, False, True]
    watch.reset()
    assert not watch.same_scene()


def test_schedule_of_a_still_scene() -> None:
    cfg = SceneConfig(active_for=1.0, full_every=2.0, first_pass_every=3)
    watch = SceneWatch(cfg)
    still = np.full((90, 160), 100, np.uint8)
    steps = [watch.step(still, i / 10) for i in range(60)]  # 10 fps for 6 s
    assert steps[:10] == [Step.FULL] * 10
    # After the active second: every third frame a first pass, one full frame every 2 s.
    fulls = [i for i, s in enumerate(steps) if s is Step.FULL][10:]
    assert fulls == [29, 49]
    assert steps[10:15] == [Step.SKIP, Step.SKIP, Step.FIRST_PASS, Step.SKIP, Step.SKIP]


def test_changed_keeps_the_scene_active_and_reset_restarts() -> None:
    watch = SceneWatch(SceneConfig(active_for=1.0))
    still = np.full((90, 160), 100, np.uint8)
    assert [watch.step(still, t) for t in (0.0, 0.5, 1.2)] == [Step.FULL, Step.FULL, Step.SKIP]
    watch.changed(1.3)
    assert watch.step(still, 1.4) is Step.FULL
    watch.reset()
    assert watch.step(still, 9.0) is Step.FULL  # no reference: a new scene


@pytest.mark.parametrize("bad", [dict(full_every=0), dict(first_pass_every=0),
                                 dict(pixel_delta=0), dict(thumb_size=(2, 2)),
                                 dict(active_for=-1.0)])
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ReaderError, match="expected"):
        SceneConfig(**bad)  # type: ignore[arg-type]
