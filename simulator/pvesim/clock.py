"""Simulated time: wall-clock timestamps, durations divided by --speed."""
import threading
import time


class Clock:
    def __init__(self, speed=1.0):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = float(speed)
        self._last_unique = 0
        self._mutex = threading.Lock()

    @staticmethod
    def now():
        """Epoch seconds (float) for timestamps."""
        return time.time()

    @staticmethod
    def mono():
        return time.monotonic()

    def real(self, sim_seconds):
        """Real seconds a simulated duration takes."""
        return sim_seconds / self.speed

    def sim_elapsed(self, mono_start):
        """Simulated seconds elapsed since a monotonic instant."""
        return (time.monotonic() - mono_start) * self.speed

    def deadline(self, sim_seconds):
        """Monotonic instant when a simulated duration from now ends."""
        return time.monotonic() + self.real(sim_seconds)

    def sleep(self, sim_seconds):
        if sim_seconds > 0:
            time.sleep(self.real(sim_seconds))

    def unique_epoch(self):
        """Integer epoch seconds, never the same twice (archive names must not collide)."""
        with self._mutex:
            value = max(int(time.time()), self._last_unique + 1)
            self._last_unique = value
            return value
