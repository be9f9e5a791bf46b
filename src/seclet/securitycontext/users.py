"""Image user resolution: uid, gid and additional gids, exactly as kubelet + containerd.

Role: pure parsing of an image's ``/etc/passwd`` and ``/etc/group`` TEXT (moby/sys/user
``ParsePasswdFilter``/``ParseGroupFilter`` rules), the image USER split
(containerd ``getUserFromImage``), kubelet's image user default (``getImageUser``:
no USER counts as uid 0), containerd ``GenerateUserString``, and the
``AdditionalGids`` dance of containerd's spec opts: ``WithSupplementalGroups`` in
``buildLinuxSpec``, then ``oci.WithUser`` (``WithUserID``/``WithUsername``, each
ending in ``ensureAdditionalGids``), then for policy Merge ``WithAdditionalGIDs``
(``/etc/group`` membership of the user *name*, skipping a group named like the
user) and ``WithSupplementalGroups`` again; ``mergeGids`` de-duplicates and sorts.
The text is passed in; the single module that reads the files lives in the I/O shell.
``None`` text means "the file does not exist" (which containerd tolerates in some
places and not in others); ``""`` is an existing empty file.
Callers: seclet.runtime.oci.builder, seclet.securitycontext.nonroot (via ImageUser).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

MAX_INT32 = 2**31 - 1
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_ATOI_RE = re.compile(r"^[+-]?[0-9]+$")

POLICY_MERGE = "Merge"
POLICY_STRICT = "Strict"


class UserResolutionError(ValueError):
    """containerd could not turn the user string into uid/gid (container create fails)."""


class _AtoiRangeError(ValueError):
    pass


def _atoi(text: str) -> int:
    """Go ``strconv.Atoi``: optional sign, ASCII digits; ValueError otherwise.

    Out-of-range values raise ``_AtoiRangeError`` (Go's ErrRange).
    """
    if not _ATOI_RE.match(text):
        raise ValueError(text)
    v = int(text)
    if v < _INT64_MIN or v > _INT64_MAX:
        raise _AtoiRangeError(text)
    return v


def _atoi_lenient(text: str) -> int:
    """moby/sys/user ``parseLine`` int fields: ``*e, _ = strconv.Atoi(p)``."""
    if not _ATOI_RE.match(text):
        return 0
    v = int(text)
    # On ErrRange Go's Atoi returns the clamped value alongside the error.
    return max(_INT64_MIN, min(_INT64_MAX, v))


def _go_trim_space(line: str) -> str:
    return line.strip(" \t\n\v\f\r\x85\xa0")


def _lines(text: str) -> Iterable[str]:
    """bufio.ScanLines: split on LF, drop one trailing CR per line."""
    for raw in text.split("\n"):
        yield raw[:-1] if raw.endswith("\r") else raw


@dataclass(frozen=True, slots=True)
class PasswdEntry:
    """One ``/etc/passwd`` line: name:password:UID:GID:GECOS:directory:shell."""

    name: str
    password: str
    uid: int
    gid: int
    gecos: str = ""
    home: str = ""
    shell: str = ""


@dataclass(frozen=True, slots=True)
class GroupEntry:
    """One ``/etc/group`` line: group_name:password:GID:user_list."""

    name: str
    password: str
    gid: int
    members: tuple[str, ...]


@lru_cache(maxsize=64)
def parse_passwd(text: str) -> tuple[PasswdEntry, ...]:
    """Every entry of a passwd file, in file order (moby/sys/user rules: lines are
    trimmed, blank lines skipped, bad numbers read as 0, extra fields ignored)."""
    out = []
    for raw in _lines(text):
        line = _go_trim_space(raw)
        if not line:
            continue
        f = line.split(":")
        f += [""] * (7 - len(f))
        out.append(
            PasswdEntry(f[0], f[1], _atoi_lenient(f[2]), _atoi_lenient(f[3]), f[4], f[5], f[6])
        )
    return tuple(out)


@lru_cache(maxsize=64)
def parse_group(text: str) -> tuple[GroupEntry, ...]:
    """Every entry of a group file, in file order (member list split on ``,``)."""
    out = []
    for raw in _lines(text):
        line = _go_trim_space(raw)
        if not line:
            continue
        f = line.split(":")
        f += [""] * (4 - len(f))
        members = tuple(f[3].split(",")) if f[3] else ()
        out.append(GroupEntry(f[0], f[1], _atoi_lenient(f[2]), members))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ImageUser:
    """What the CRI ImageStatus reports for an image USER (containerd ``getUserFromImage``)."""

    uid: int | None
    username: str


@lru_cache(maxsize=256)
def image_user_from_config(user: str) -> ImageUser:
    """Split ``uid``, ``uid:gid``, ``name``, ``name:group``: only the user part counts."""
    if user == "":
        return ImageUser(None, "")
    part = user.split(":", maxsplit=1)[0]
    try:
        return ImageUser(_atoi(part), "")
    except ValueError:
        return ImageUser(None, part)


def kubelet_image_user(image: ImageUser) -> ImageUser:
    """kubelet ``getImageUser``: uid if set, else username, else root (uid 0)."""
    if image.uid is not None:
        return image
    if image.username:
        return image
    return ImageUser(0, "")


def generate_user_string(username: str, uid: int | None, gid: int | None) -> str:
    """containerd ``util.GenerateUserString``: username beats uid; ``:gid`` appended."""
    userstr = str(uid) if uid is not None else ""
    if username:
        userstr = username
    groupstr = str(gid) if gid is not None else ""
    if userstr == "":
        if groupstr:
            raise UserResolutionError(f'user group "{groupstr}" is specified without user')
        return ""
    if groupstr:
        userstr = userstr + ":" + groupstr
    return userstr


def merge_gids(a: Iterable[int], b: Iterable[int]) -> tuple[int, ...]:
    """containerd ``mergeGids``: set union, sorted ascending."""
    return tuple(sorted(set(a) | set(b)))


def _ensure(gid: int, gids: Sequence[int]) -> tuple[int, ...]:
    """containerd ``ensureAdditionalGids``: prepend the primary gid if absent."""
    if gid in gids:
        return tuple(gids)
    return (gid, *gids)


_NO_PASSWD = "open etc/passwd: no such file or directory"  # noqa: S105
_NO_GROUP = "open etc/group: no such file or directory"


def _user_by(passwd: str | None, *, uid: int | None = None, name: str | None = None) -> PasswdEntry:
    """containerd ``UserFromFS``: first matching entry, or an error."""
    if passwd is None:
        raise FileNotFoundError(_NO_PASSWD)
    for u in parse_passwd(passwd):
        if (uid is not None and u.uid == uid) or (name is not None and u.name == name):
            return u
    raise LookupError("no users found")


def _gid_by_name(group: str | None, name: str) -> int:
    """containerd ``GIDFromFS`` with a name filter."""
    if group is None:
        raise UserResolutionError(_NO_GROUP)
    for g in parse_group(group):
        if g.name == name:
            return g.gid & 0xFFFFFFFF
    raise UserResolutionError("no groups found")


def _numeric_id(text: str, userstr: str, what: str) -> int | None:
    """One side of a USER value as containerd reads it: the id, or None for a name.

    A number outside 0..MaxInt32 refuses the whole USER value (``what``: uid or gid).
    """
    try:
        v = _atoi(text)
    except _AtoiRangeError:
        raise UserResolutionError(f'invalid USER value "{userstr}": {what} out of range') from None
    except ValueError:
        return None
    if v < 0 or v > MAX_INT32:
        raise UserResolutionError(f'invalid USER value "{userstr}": {what} out of range')
    return v


def _uid_by_name(passwd: str | None, name: str) -> tuple[int, int]:
    """containerd ``UserFromPath`` by name: (uid, gid) of a user the image must list."""
    try:
        u = _user_by(passwd, name=name)
    except (FileNotFoundError, LookupError) as e:
        raise UserResolutionError(str(e)) from None
    return u.uid & 0xFFFFFFFF, u.gid & 0xFFFFFFFF


def _with_user(userstr: str, passwd: str | None, group: str | None) -> tuple[int, int]:
    """containerd ``oci.WithUser`` (Linux): returns (uid, gid)."""
    parts = userstr.split(":")
    if len(parts) == 1:
        v = _numeric_id(parts[0], userstr, "uid")
        if v is None:
            return _uid_by_name(passwd, userstr)  # WithUsername: must be in /etc/passwd
        # WithUserID: passwd gid when the uid is listed, else gid 0 (no error).
        try:
            u = _user_by(passwd, uid=v)
        except (FileNotFoundError, LookupError):
            return v, 0
        return u.uid & 0xFFFFFFFF, u.gid & 0xFFFFFFFF
    if len(parts) == 2:
        uid = _numeric_id(parts[0], userstr, "uid")
        gid = _numeric_id(parts[1], userstr, "gid")
        if uid is None:
            uid = _uid_by_name(passwd, parts[0])[0]
        if gid is None:
            gid = _gid_by_name(group, parts[1])
        return uid, gid
    raise UserResolutionError(f"invalid USER value {userstr}")


def _image_group_gids(
    userstr: str, passwd: str | None, group: str | None
) -> tuple[str, tuple[int, ...] | None]:
    """containerd ``oci.WithAdditionalGIDs`` lookup: (user name, gids of the image groups
    listing that name as a member - a group named like the user is skipped - in file
    order). The gids are ``None`` when the lookup stops early (uid not in passwd, or a
    file missing)."""
    try:
        uid = _atoi(userstr)
    except ValueError:
        username = userstr
    else:
        try:
            username = _user_by(passwd, uid=uid).name
        except (FileNotFoundError, LookupError):
            return userstr, None
    if group is None:
        return username, None
    return username, tuple(
        g.gid & 0xFFFFFFFF
        for g in parse_group(group)
        if g.name != username and username in g.members
    )


@dataclass(frozen=True, slots=True)
class ProcessUser:
    """The OCI ``process.user`` containerd ends up with, plus where groups came from."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    image_groups: tuple[int, ...] = ()
    """Gids merged in from the image ``/etc/group`` (policy Merge only)."""
    userstr: str = ""
    """The string handed to ``oci.WithUser`` ("" when none was)."""
    group_lookup_user: str = ""
    """The user name whose /etc/group memberships were merged (policy Merge)."""


def resolve_process_user(
    *,
    run_as_user: int | None,
    run_as_username: str,
    run_as_group: int | None,
    supplemental_groups: Sequence[int],
    policy: str,
    image_user: str,
    passwd_text: str | None,
    group_text: str | None,
) -> ProcessUser:
    """containerd's uid/gid/additionalGids for a CRI container config.

    Inputs are the CRI-side values (kubelet already put the image uid/username into
    ``run_as_user``/``run_as_username`` when the pod did not set runAsUser).
    Memoised on those (frozen) values: a node sees few distinct combinations.
    """
    groups = tuple(supplemental_groups)  # no copy for a tuple; hashable for the memo
    return _resolve_process_user(
        run_as_user,
        run_as_username,
        run_as_group,
        groups,
        policy,
        image_user,
        passwd_text,
        group_text,
    )


@lru_cache(maxsize=1024, typed=True)
def _resolve_process_user(
    run_as_user: int | None,
    run_as_username: str,
    run_as_group: int | None,
    supplemental_groups: tuple[int, ...],
    policy: str,
    image_user: str,
    passwd_text: str | None,
    group_text: str | None,
) -> ProcessUser:
    uid = gid = 0
    # buildLinuxSpec: customopts.WithSupplementalGroups(supplementalGroups).
    gids = merge_gids((), (g & 0xFFFFFFFF for g in supplemental_groups))
    # platformSpecOpts: oci.WithUser(userstr) - resets additional gids, then ensures gid.
    userstr = generate_user_string(run_as_username, run_as_user, run_as_group)
    if userstr == "":
        userstr = image_user
    if userstr != "":
        uid, gid = _with_user(userstr, passwd_text, group_text)
        gids = (gid,)
    # containerSpecOpts
    if run_as_username:
        lookup = run_as_username
    elif run_as_user is not None:
        lookup = str(run_as_user)
    elif image_user:
        lookup = image_user.split(":", 1)[0]
    else:
        lookup = "0"
    sup = tuple(g & 0xFFFFFFFF for g in supplemental_groups)
    image_groups: tuple[int, ...] = ()
    lookup_name = ""
    if policy == POLICY_MERGE:
        before = gids
        lookup_name, found = _image_group_gids(lookup, passwd_text, group_text)
        fresh = _ensure(gid, found or ())
        gids = merge_gids(fresh, before)
        gids = merge_gids(gids, sup)
        if found:
            image_groups = tuple(g for g in dict.fromkeys(found) if g != gid and g not in sup)
    elif policy == POLICY_STRICT:
        gids = merge_gids(gids, sup)
    else:
        raise UserResolutionError(
            "not implemented in this containerd release: SupplementalGroupsPolicy=" + policy
        )
    return ProcessUser(uid, gid, gids, image_groups, userstr, lookup_name)
