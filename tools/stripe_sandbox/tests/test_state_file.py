"""The state file is written after changes, never so often that writing it slows the sandbox."""

from stripe_sandbox import state


def test_the_next_write_waits_longer_after_a_slow_write(tmp_path, monkeypatch):
    state_file = state.StateFile(tmp_path / "state.pickle")
    assert state_file.save_delay() == state.SAVE_DELAY  # nothing written yet

    clock = iter([100.0, 100.5])  # the write takes half a second
    monkeypatch.setattr(state.time, "perf_counter", lambda: next(clock))
    state_file.save()

    assert (tmp_path / "state.pickle").exists()
    assert state_file.save_delay() == state.SAVE_WAIT_FACTOR * 0.5


def test_a_quick_write_keeps_the_short_delay(tmp_path, monkeypatch):
    state_file = state.StateFile(tmp_path / "state.pickle")
    clock = iter([100.0, 100.001])
    monkeypatch.setattr(state.time, "perf_counter", lambda: next(clock))
    state_file.save()
    assert state_file.save_delay() == state.SAVE_DELAY
