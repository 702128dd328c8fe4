"""The convitems marker's arguments, and the record modes they and the options may name.

No imports of its own beyond the standard library: the plugin reads these at load and on
every marked test, before anything asks for a cassette.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from .errors import InputError

RECORD_MODES: Final = ("none", "once", "new_episodes", "all")
DEFAULT_RECORD_MODE: Final = "once"
MARKER_KWARGS: Final = ("cassette", "record_mode", "match_on")

_VCRPY_KWARGS: Final = {
    "filter_headers": "redact headers with the ini key convitems_redact_headers "
    "(credentials are redacted by default)",
    "filter_query_parameters": "redact query parameters with the ini key convitems_redact_query",
    "filter_post_data_parameters": "redact body fields with the ini key convitems_redact_json "
    "(JSON pointers)",
    "before_record_request": "redact with the ini keys convitems_redact_json or "
    "convitems_redact_patterns",
    "before_record_response": "redact with the ini keys convitems_redact_json or "
    "convitems_redact_patterns",
    "ignore_hosts": "use the ini key convitems_ignore_hosts",
    "ignore_localhost": "use the ini key convitems_ignore_hosts",
    "serializer": "name the cassette with .json for vcrpy's JSON format (cassette='x.json')",
    "decode_compressed_response": "bodies are always stored decoded",
    "allow_playback_repeats": "each recording replays once: record the repeated calls",
    "cassette_library_dir": "use --convitems-cassette-dir or the ini key convitems_cassette_dir",
    "path": "use cassette=",
}
"""What a vcrpy / pytest-recording argument is called here, for a suite moving over."""


def _kwarg_hint(name: str) -> str:
    if name in _VCRPY_KWARGS:
        return _VCRPY_KWARGS[name]
    import difflib

    close = difflib.get_close_matches(name, MARKER_KWARGS, n=1)
    return f"did you mean {close[0]}?" if close else "not an option"


def rewrite_hint(mode: str) -> str:
    return " (pytest-recording's rewrite is all here)" if mode == "rewrite" else ""


def check_record_mode(mode: str) -> str:
    if mode not in RECORD_MODES:
        raise InputError(
            f"record mode {mode!r} is not one of {', '.join(RECORD_MODES)} "
            "(set it with --convitems-record-mode, the convitems marker or "
            f"convitems_record_mode){rewrite_hint(mode)}"
        )
    return mode


def marker_arguments(marks: Sequence[tuple[tuple[Any, ...], Mapping[str, Any]]]) -> dict[str, Any]:
    """The arguments of the convitems markers on a test, each as (args, kwargs), nearest
    first (test, class, module): merged, the nearest winning."""
    merged: dict[str, Any] = {}
    for args, kwargs in reversed(marks):
        unknown = sorted(set(kwargs) - set(MARKER_KWARGS))
        if len(args) > 1:
            raise InputError(
                f"@pytest.mark.convitems takes one cassette, got {len(args)}: a test "
                "has one cassette here (pytest-recording's extra read-only cassettes are not "
                "supported); give it one, e.g. @pytest.mark.convitems(cassette='shared')"
            )
        if unknown:
            # Names only: the values may be credentials (vcrpy's filter_headers pairs).
            hints = [f"{name}: {_kwarg_hint(name)}" for name in unknown]
            raise InputError(
                f"@pytest.mark.convitems accepts only the keyword arguments "
                f"{', '.join(MARKER_KWARGS)} (or the cassette as one positional argument); "
                f"got {'; '.join(hints)}"
            )
        if args:
            merged["cassette"] = args[0]
        merged.update(kwargs)
    mode = merged.get("record_mode")
    if mode is not None and mode not in RECORD_MODES:
        # Checked even when --convitems-replay overrides it: CI must catch the typo too.
        raise InputError(
            f"@pytest.mark.convitems(record_mode={mode!r}): choose one of "
            f"{', '.join(RECORD_MODES)}{rewrite_hint(mode)}"
        )
    return merged
