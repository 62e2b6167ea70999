# ---------------------------------------------------------------- tools

def final_answer(answer):
    raise _FinalAnswer(answer)


def web_search(query=None, *args, **kwargs):
    if args or kwargs:
        extra = [_truncate(repr(a), 200) for a in args] + [f"{k}=..." for k in kwargs]
        raise TypeError(f"web_search() takes exactly one argument 'query' (a string); got extra: {', '.join(extra)}")
    if query is None:
        raise TypeError("web_search() missing required argument: 'query' (a string)")
    if not isinstance(query, str):
        raise TypeError(f"web_search(): 'query' must be a string, not {type(query).__name__}")
    query = _exact_name(query)
    if not query.strip():
        raise ValueError("web_search(): 'query' must be a non-empty string")
    if len(query) > _MAX_QUERY:
        raise ValueError(f"web_search(): 'query' is too long ({len(query)} characters; at most {_MAX_QUERY})")
    search = _CONFIG["search"]
    if search is None:
        raise RuntimeError("web_search is unavailable: no Wikipedia shard is configured for this executor")
    reply = _json.loads(str(search(query)))
    if not reply.get("ok"):
        raise RuntimeError(f"web_search failed: {reply.get('error')}")
    return reply["text"]
