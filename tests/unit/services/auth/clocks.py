"""A clock the limiter tests move by hand."""


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now
