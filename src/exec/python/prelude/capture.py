# ---------------------------------------------------------------- prints and last value

class _Prints:
    """Captured prints; keeps only head and tail once far past the limit, which is all truncation shows."""

    def __init__(self, limit):
        self.limit = max(int(limit), 2)
        self.parts = []
        self.size = 0
        self.head = None
        self.tail = ""

    def write(self, text):
        if self.head is None:
            self.parts.append(text)
            self.size += len(text)
            if self.size > 4 * self.limit:
                whole = "".join(self.parts)
                self.head = whole[: self.limit]
                self.tail = whole[-self.limit :]
                self.parts = []
        else:
            self.size += len(text)
            self.tail = (self.tail[-self.limit :] + text[-self.limit :])[-self.limit :]

    def value(self):
        if self.head is None:
            return _truncate("".join(self.parts), self.limit)
        return _truncate(self.head + self.tail, self.limit)


def _truncate(content, max_length):
    if len(content) <= max_length:
        return content
    return (
        content[: max_length // 2]
        + f"\n..._This content has been truncated to stay below {max_length} characters_...\n"
        + content[-max_length // 2 :]
    )


class _Run:
    prints = None
    value = None
    active = False


_RUN = _Run()


def _print(*args, **kwargs):
    # The reference ignores sep/end/file: every print adds the space-joined str() of its arguments + "\n".
    # A piece far longer than the limit keeps only its ends (all that truncation can show).
    limit = _RUN.prints.limit
    pieces = []
    for a in args:
        s = str(a)
        if type(s) is not str:
            s = str.__str__(s)
        if len(s) > 2 * limit:
            s = s[:limit] + s[-limit:]
        pieces.append(s)
    _RUN.prints.write(" ".join(pieces) + "\n")


def _pa_top(value):
    _RUN.value = value
    return value


def _pa_nest(value):
    if value is not None:
        _RUN.value = value
    return value
