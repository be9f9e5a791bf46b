"""String-format checks of ``k8s.io/apimachinery`` 1.35 with their exact messages.

Role: the ``Is*`` predicates of ``pkg/util/validation`` and ``pkg/api/validate/content``
(DNS-1123 label/subdomain, qualified names and label keys/values, env var names,
port names/numbers, config keys, user/group ID ranges), each returning upstream's
list of detail strings (empty when valid). Note 1.35's split: the DNS checks of
``util/validation`` say "characters", the ``content`` ones (label keys, label
values and the prefix part of a label key) say "bytes".
Hot checks return at once for a valid value (one regex match; a match is ASCII, so its
length in characters is its length in bytes); ``qualified_name_errors`` is cached per
short string (pure: a string in, a tuple of strings out; bounded in size and count).
Callers: every ``seclet.validation`` module that checks a name.
"""

from __future__ import annotations

import functools
import re

_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_US_FMT = "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*[a-z0-9])?)*"
_DNS1123_SUBDOMAIN_US_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'_', '-' or '.', and must start and end with an alphanumeric character"
)
_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = "(" + _LABEL_KEY_FMT + ")?"
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
_ENV_VAR_FMT = "[-._a-zA-Z][-._a-zA-Z0-9]*"
_ENV_VAR_MSG = (
    "a valid environment variable name must consist of alphabetic characters, digits, "
    "'_', '-', or '.', and must not start with a digit"
)
_RELAXED_ENV_VAR_MSG = (
    "a valid environment variable name must consist only of printable ASCII characters "
    "other than '='"
)
_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
_HTTP_HEADER_FMT = "[-A-Za-z0-9]+"
_HTTP_HEADER_MSG = "a valid HTTP header must consist of alphanumeric characters or '-'"

_DNS1123_LABEL_RE = re.compile(f"(?:{_DNS1123_LABEL_FMT})")
_DNS1123_SUBDOMAIN_RE = re.compile(f"(?:{_DNS1123_SUBDOMAIN_FMT})")
_DNS1123_SUBDOMAIN_US_RE = re.compile(f"(?:{_DNS1123_SUBDOMAIN_US_FMT})")
_LABEL_KEY_RE = re.compile(f"(?:{_LABEL_KEY_FMT})")
_LABEL_VALUE_RE = re.compile(f"(?:{_LABEL_VALUE_FMT})")
_ENV_VAR_RE = re.compile(f"(?:{_ENV_VAR_FMT})")
_CONFIG_KEY_RE = re.compile(f"(?:{_CONFIG_KEY_FMT})")
_HTTP_HEADER_RE = re.compile(f"(?:{_HTTP_HEADER_FMT})")
_PORT_NAME_CHARS_RE = re.compile("[-a-z0-9]+")
_PORT_NAME_LETTER_RE = re.compile("[a-z]")

MAX_INT32 = 2147483647
ID_RANGE_MSG = f"must be between 0 and {MAX_INT32}, inclusive"


def max_len_error(n: int) -> str:
    """``validation.MaxLenError`` (util/validation: characters)."""
    return f"must be no more than {n} characters"


def max_len_bytes_error(n: int) -> str:
    """``content.MaxLenError`` (1.35 content package: bytes)."""
    return f"must be no more than {n} bytes"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """``validation.RegexError``: note the doubled space before `` or`` (upstream's)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    out = msg + " (e.g. "
    for i, ex in enumerate(examples):
        if i > 0:
            out += " or "
        out += f"'{ex}', "
    return out + f"regex used for validation is '{fmt}')"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


def _full(rx: re.Pattern[str], value: str) -> bool:
    return rx.fullmatch(value) is not None


def is_dns1123_label(value: str) -> list[str]:
    if len(value) <= 63 and _DNS1123_LABEL_RE.fullmatch(value) is not None:
        return []
    errs: list[str] = []
    if len(value.encode()) > 63:
        errs.append(max_len_error(63))
    if not _full(_DNS1123_LABEL_RE, value):
        if _full(_DNS1123_SUBDOMAIN_RE, value):
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str, *, content: bool = False) -> list[str]:
    """``IsDNS1123Subdomain``; ``content=True`` is the content package ("bytes")."""
    if len(value) <= 253 and _DNS1123_SUBDOMAIN_RE.fullmatch(value) is not None:
        return []
    errs: list[str] = []
    if len(value.encode()) > 253:
        errs.append(max_len_bytes_error(253) if content else max_len_error(253))
    if not _full(_DNS1123_SUBDOMAIN_RE, value):
        errs.append(regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1123_subdomain_with_underscore(value: str) -> list[str]:
    errs: list[str] = []
    if len(value.encode()) > 253:
        errs.append(max_len_error(253))
    if not _full(_DNS1123_SUBDOMAIN_US_RE, value):
        errs.append(
            regex_error(_DNS1123_SUBDOMAIN_US_MSG, _DNS1123_SUBDOMAIN_US_FMT, "example.com")
        )
    return errs


def name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    """``NameIsDNSSubdomain``: a generateName prefix may end with ``-``."""
    return is_dns1123_subdomain(_mask_trailing_dash(name) if prefix else name)


def name_is_dns_label(name: str, prefix: bool) -> list[str]:
    """``NameIsDNSLabel`` (namespace names)."""
    return is_dns1123_label(_mask_trailing_dash(name) if prefix else name)


def _mask_trailing_dash(name: str) -> str:
    """``maskTrailingDash``: upstream drops the last two characters and appends ``a``."""
    if len(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


def is_qualified_name(value: str) -> list[str]:
    """``IsQualifiedName`` = 1.35 ``content.IsLabelKey``."""
    return list(qualified_name_errors(value))


# A valid qualified name is at most 253 + 1 + 63 characters; longer keys are not
# cached, so the cache holds at most 4096 short strings whatever a client sends.
_MAX_CACHED_QUALIFIED_NAME = 317


def qualified_name_errors(value: str) -> tuple[str, ...]:
    """``is_qualified_name`` as a tuple (empty when valid) for the hot callers; cached
    per string (pure) for strings short enough to be valid."""
    if len(value) > _MAX_CACHED_QUALIFIED_NAME:
        return tuple(_qualified_name(value))
    return _cached_qualified_name(value)


@functools.lru_cache(maxsize=4096)
def _cached_qualified_name(value: str) -> tuple[str, ...]:
    return tuple(_qualified_name(value))


def _qualified_name(value: str) -> list[str]:
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix, content=True))
    else:
        return [
            "a valid label key "
            + regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errs.append("name part " + max_len_bytes_error(63))
    if not _full(_LABEL_KEY_RE, name):
        errs.append(
            "name part "
            + regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


def is_label_value(value: str) -> list[str]:
    """``IsValidLabelValue`` = 1.35 ``content.IsLabelValue``."""
    if len(value) <= 63 and _LABEL_VALUE_RE.fullmatch(value) is not None:
        return []
    errs: list[str] = []
    if len(value.encode()) > 63:
        errs.append(max_len_bytes_error(63))
    if not _full(_LABEL_VALUE_RE, value):
        errs.append(regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def _ch_dir_prefix(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_env_var_name(value: str) -> list[str]:
    errs: list[str] = []
    if not _full(_ENV_VAR_RE, value):
        errs.append(
            regex_error(_ENV_VAR_MSG, _ENV_VAR_FMT, "my.env-name", "MY_ENV.NAME", "MyEnvName1")
        )
    return errs + _ch_dir_prefix(value)


def is_relaxed_env_var_name(value: str) -> list[str]:
    errs: list[str] = []
    if not value:
        errs.append("environment variable name must be non-empty")
    for ch in value:
        if ord(ch) > 127 or not ch.isprintable() or ch == "=":
            errs.append(_RELAXED_ENV_VAR_MSG)
            break
    return errs


def is_config_map_key(value: str) -> list[str]:
    errs: list[str] = []
    if len(value.encode()) > 253:
        errs.append(max_len_error(253))
    if not _full(_CONFIG_KEY_RE, value):
        errs.append(
            regex_error(_CONFIG_KEY_MSG, _CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name")
        )
    return errs + _ch_dir_prefix(value)


def is_http_header_name(value: str) -> list[str]:
    if not _full(_HTTP_HEADER_RE, value):
        return [regex_error(_HTTP_HEADER_MSG, _HTTP_HEADER_FMT, "X-Header-Name")]
    return []


def is_valid_port_num(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [inclusive_range_error(1, 65535)]


def is_valid_port_name(port: str) -> list[str]:
    errs: list[str] = []
    if len(port.encode()) > 15:
        errs.append(max_len_error(15))
    if not _full(_PORT_NAME_CHARS_RE, port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER_RE.search(port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_id(value: int) -> list[str]:
    """``IsValidUserID`` / ``IsValidGroupID``: 0 ≤ id ≤ MaxInt32."""
    return [] if 0 <= value <= MAX_INT32 else [ID_RANGE_MSG]
