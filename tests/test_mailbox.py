"""The one-slot hand-off between the engine thread and the display."""

from __future__ import annotations

import threading

from performer.mailbox import Mailbox


def test_empty_mailbox_gives_nothing() -> None:
    mailbox: Mailbox[int] = Mailbox()
    assert mailbox.take() is None
    assert mailbox.take(timeout=0.01) is None
    assert mailbox.peek() is None
    assert (mailbox.posted, mailbox.dropped) == (0, 0)


def test_a_value_is_taken_once() -> None:
    mailbox: Mailbox[str] = Mailbox()
    mailbox.post("frame")
    assert mailbox.take() == "frame"
    assert mailbox.take() is None  # seen already
    assert mailbox.peek() == "frame"  # still the newest value, for a redraw


def test_latest_value_wins_and_stale_ones_are_counted() -> None:
    mailbox: Mailbox[int] = Mailbox()
    for value in range(5):
        mailbox.post(value)
    assert mailbox.take() == 4
    assert (mailbox.posted, mailbox.dropped) == (5, 4)
    mailbox.post(5)  # the previous one was taken: nothing dropped
    assert mailbox.dropped == 4
    assert mailbox.take() == 5


def test_peek_does_not_consume() -> None:
    mailbox: Mailbox[int] = Mailbox()
    mailbox.post(1)
    assert mailbox.peek() == 1
    assert mailbox.take() == 1


def test_take_waits_for_a_post_from_another_thread() -> None:
    mailbox: Mailbox[int] = Mailbox()
    ready = threading.Event()

    def producer() -> None:
        ready.wait()
        mailbox.post(42)

    thread = threading.Thread(target=producer)
    thread.start()
    ready.set()
    assert mailbox.take(timeout=10.0) == 42
    thread.join()


def test_take_without_timeout_blocks_until_posted() -> None:
    mailbox: Mailbox[int] = Mailbox()
    got: list[int | None] = []
    thread = threading.Thread(target=lambda: got.append(mailbox.take(timeout=None)))
    thread.start()
    mailbox.post(7)
    thread.join(timeout=10.0)
    assert not thread.is_alive() and got == [7]


def test_wait_demand_is_the_producers_back_pressure() -> None:
    mailbox: Mailbox[int] = Mailbox()
    mailbox.wait_demand(0.0)  # nothing pending: returns at once
    mailbox.post(1)
    started = threading.Event()
    taken: list[int | None] = []

    def consumer() -> None:
        started.wait()
        taken.append(mailbox.take(timeout=10.0))

    thread = threading.Thread(target=consumer)
    thread.start()
    started.set()
    assert mailbox.wait_demand(10.0) is False  # ended by the take: nothing stale
    thread.join()
    assert taken == [1] and mailbox.take() is None


def test_producer_and_consumer_threads_lose_nothing_but_stale_values() -> None:
    """Every value is either taken or counted as dropped; taken values only increase."""
    mailbox: Mailbox[int] = Mailbox()
    count = 5000
    taken: list[int] = []
    finished = threading.Event()

    def consumer() -> None:
        while True:
            done = finished.is_set()  # read first: then an empty take means nothing is left
            value = mailbox.take(timeout=0.01)
            if value is not None:
                taken.append(value)
            elif done:
                return

    thread = threading.Thread(target=consumer)
    thread.start()
    for value in range(count):
        mailbox.post(value)
    finished.set()
    thread.join()
    assert taken == sorted(set(taken))
    assert taken[-1] == count - 1  # the newest value always arrives
    assert mailbox.posted == count
    assert len(taken) + mailbox.dropped == count


def test_wake_marks_a_waiting_value_stale() -> None:
    """A producer waiting for the consumer returns at once, told to replace its value."""
    mailbox: Mailbox[int] = Mailbox()
    mailbox.post(1)
    threading.Timer(0.05, mailbox.wake).start()
    assert mailbox.wait_demand(timeout=10.0) is True
    # The wake-up is consumed: the next wait lasts until the value is taken (or times out).
    assert mailbox.wait_demand(timeout=0.05) is False
    assert mailbox.take() == 1


def test_an_unwakeable_wait_ignores_wake_and_ends_when_taken() -> None:
    mailbox: Mailbox[int] = Mailbox()
    mailbox.post(1)
    mailbox.wake()
    threading.Timer(0.05, mailbox.take).start()
    assert mailbox.wait_demand(timeout=10.0, wakeable=False) is False
    assert mailbox.peek() == 1 and mailbox.take() is None  # it was taken, not replaced
    mailbox.post(2)
    assert mailbox.wait_demand(timeout=0.01) is False  # the old wake-up did not linger


def test_a_wake_with_nothing_waiting_is_not_stale() -> None:
    mailbox: Mailbox[int] = Mailbox()
    mailbox.wake()
    assert mailbox.wait_demand(timeout=0.01) is False


def test_a_cleared_wake_does_not_mark_the_next_value_stale() -> None:
    """The producer clears wake-ups when it reads its inputs: they are in its next value."""
    mailbox: Mailbox[int] = Mailbox()
    mailbox.wake()
    mailbox.clear_wake()
    mailbox.post(1)
    assert mailbox.wait_demand(timeout=0.01) is False
