# ---------------------------------------------------------------- interruptible sleep

def _install_interruptible_sleep():
    """time.sleep blocks the worker in one call that the interrupt buffer cannot break; sleep in slices."""
    import time

    real_sleep = time.sleep
    if getattr(real_sleep, "_pa_sliced", False):
        return

    def sleep(seconds):
        if not isinstance(seconds, (int, float)):
            raise TypeError(f"'{type(seconds).__name__}' object cannot be interpreted as a number")
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            real_sleep(min(left, 0.05))

    sleep._pa_sliced = True
    sleep.__doc__ = real_sleep.__doc__
    sleep.__module__ = "time"
    time.sleep = sleep


_install_interruptible_sleep()
