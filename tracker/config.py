"""The sources file (``govwatch.toml``): parsing and validation of sources, channels and crawl settings.

Layout::

    [settings]                      # optional, crawl-wide defaults
    contact = "mailto:ops@example.org"
    download_delay = 1.0
    concurrency = 2

    [[source]]
    name = "wuxi-dfgw"
    start_urls = ["https://dfgw.wuxi.gov.cn/..."]
    allowed_hosts = ["dfgw.wuxi.gov.cn"]   # host, or host:port (see ``parse_host_entry``)
    platform = "hanweb"             # optional hint: generic (default: every dialect) | hanweb | trs
    include = ["政策文件", "/col/col123"]   # optional: columns to keep (regex on URL or anchor text)
    schedule = "every 6h"           # "every 30s|15m|6h|1d" or a 5-field cron "0 6 * * *"

    [[channel]]
    name = "ops-webhook"
    type = "webhook"                # console | jsonl | webhook | email | apprise
    url = "${GOVWATCH_WEBHOOK_URL}"

Every mistake raises ``ConfigError`` naming the file, the source/channel and the field.
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tracker import events
from tracker.env import config_path
from tracker.schedule import ScheduleError, parse_interval, parse_schedule

PLATFORMS = ("generic", "hanweb", "trs")
CHANNEL_TYPES = ("console", "jsonl", "webhook", "email", "apprise")

DEFAULT_CONTACT = "https://github.com/govwatch/govwatch"
DEFAULT_TIMEOUT_SECONDS = 3600
DEFAULT_MAX_PAGES = 50
# Hops from a start URL: home -> 信息公开 entry -> column -> detail -> attachment is four.
DEFAULT_MAX_DEPTH = 5
DEFAULT_DOWNLOAD_DELAY = 1.0
DEFAULT_CONCURRENCY = 2

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
DEFAULT_PORTS = {"http": 80, "https": 443}
DEFAULT_FETCH_TIMEOUT_SECONDS = 30.0
DEFAULT_MIN_BYTES_PER_SECOND = 1024
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9\-]{1,63})*$"
)


class ConfigError(ValueError):
    """The sources file is missing, unreadable or wrong; the message says where and what."""


@dataclass(frozen=True)
class Settings:
    """Crawl-wide defaults from ``[settings]``."""

    contact: str = DEFAULT_CONTACT
    user_agent: str | None = None
    download_delay: float = DEFAULT_DOWNLOAD_DELAY
    concurrency: int = DEFAULT_CONCURRENCY
    obey_robots: bool = True
    max_pages: int = DEFAULT_MAX_PAGES
    max_depth: int = DEFAULT_MAX_DEPTH
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    fetch_timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS
    min_bytes_per_second: int = DEFAULT_MIN_BYTES_PER_SECOND
    executor: str = "local"  # where crawls run: "local" (this machine) or "queue" (govwatch worker)

    def user_agent_string(self, version: str = "0.1") -> str:
        """The User-Agent sent to portals: names govwatch and how to reach whoever runs it."""
        if self.user_agent:
            return self.user_agent
        return f"govwatch/{version} (+{self.contact}; disclosure-change monitor)"


@dataclass(frozen=True)
class SourceConfig:
    """One portal column (or a few) to crawl; politeness fields are already resolved against defaults."""

    name: str
    start_urls: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    platform: str = "generic"
    schedule: str | None = None
    jitter_seconds: int = 0
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    detail_url_pattern: str | None = None
    list_selector: str | None = None
    max_pages: int = DEFAULT_MAX_PAGES
    max_depth: int = DEFAULT_MAX_DEPTH
    download_delay: float = DEFAULT_DOWNLOAD_DELAY
    concurrency: int = DEFAULT_CONCURRENCY
    obey_robots: bool = True
    allow_private_addresses: bool = False
    notify_kinds: frozenset[str] | None = None
    # Columns found from a navigation page: kept when they match an include pattern (if any) and no
    # exclude pattern; each pattern is a regular expression tried on the URL and the anchor text.
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fetch_timeout_seconds: float = DEFAULT_FETCH_TIMEOUT_SECONDS
    min_bytes_per_second: int = DEFAULT_MIN_BYTES_PER_SECOND
    # (host, port) pairs the crawl may connect to; derived from allowed_hosts and start_urls when empty.
    origins: frozenset[tuple[str, int]] = frozenset()

    def __post_init__(self) -> None:
        if not self.origins:
            derived = bare_host_origins(self.allowed_hosts, self.start_urls)
            object.__setattr__(self, "origins", derived)

    def allows(self, url: str) -> bool:
        """Whether ``url`` is http(s) on one of the source's allowed hosts **and** ports."""
        return origin(url) in self.origins

    @property
    def interval_seconds(self) -> int | None:
        """Seconds between runs for ``every N<unit>`` schedules, None for cron or no schedule."""
        return parse_interval(self.schedule) if self.schedule else None

    @property
    def cron(self) -> str | None:
        """The 5-field cron expression, None for interval schedules or no schedule."""
        if self.schedule and parse_interval(self.schedule) is None:
            return self.schedule
        return None


@dataclass(frozen=True)
class ChannelConfig:
    """One notification channel from ``[[channel]]``; ``url`` has ``${ENV}`` references expanded."""

    name: str
    type: str
    url: str | None = None
    kinds: frozenset[str] | None = None
    sources: frozenset[str] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    path: Path | None
    sources: list[SourceConfig]
    channels: list[ChannelConfig]
    settings: Settings = field(default_factory=Settings)

    def source(self, name: str) -> SourceConfig:
        for src in self.sources:
            if src.name == name:
                return src
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"{self.path}: no source named {name!r} (known: {known})")


def origin(url: str) -> tuple[str, int] | None:
    """(host, port) an http(s) URL connects to, the port made explicit; None for anything else."""
    parts = urlsplit(url)
    default = DEFAULT_PORTS.get(parts.scheme)
    if default is None or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:  # a port out of range or not a number
        return None
    return parts.hostname.lower().rstrip("."), port or default


def parse_host_entry(entry: str) -> tuple[str, int | None]:
    """``"host"`` -> (host, None); ``"host:8080"`` or ``"[::1]:8080"`` -> (host, 8080); else ValueError."""
    text = entry.strip().lower()
    if "/" in text or "@" in text:
        raise ValueError("not a host name (no scheme, no path)")
    port_text: str | None = None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError("text after ']' must be ':port'")
            port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host = text  # a name, an IPv4 address or a bare IPv6 address
    host = host.rstrip(".")
    if not _valid_host(host):
        raise ValueError("not a host name (no scheme, no path)")
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"port {port_text!r} is not a number from 1 to 65535")
    return host, int(port_text)


def bare_host_origins(hosts: Iterable[str], start_urls: Iterable[str]) -> frozenset[tuple[str, int]]:
    """The (host, port) pairs bare host names allow: the default ports of http and https, and every
    port a start URL names explicitly (a portal served on :8080 needs no more than its start URL)."""
    ports = set(DEFAULT_PORTS.values())
    for url in start_urls:
        parts = urlsplit(url)
        with contextlib.suppress(ValueError):
            if parts.port:
                ports.add(parts.port)
    return frozenset((host, port) for host in hosts for port in ports)


def channel_routes(config: Config, source_name: str) -> dict[str, frozenset[str] | None]:
    """Channels that apply to one source, each mapped to the change kinds it wants (None = all)."""
    source_kinds = next((s.notify_kinds for s in config.sources if s.name == source_name), None)
    routes: dict[str, frozenset[str] | None] = {}
    for channel in config.channels:
        if channel.sources is not None and source_name not in channel.sources:
            continue
        if channel.kinds is None:
            wanted = source_kinds
        elif source_kinds is None:
            wanted = channel.kinds
        else:
            wanted = channel.kinds & source_kinds
        if wanted is not None and not wanted:
            continue
        routes[channel.name] = wanted
    return routes


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the sources file (``--config``, ``GOVWATCH_CONFIG`` or ``./govwatch.toml``)."""
    resolved = config_path(path)
    try:
        raw = resolved.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{resolved}: sources file not found (copy govwatch.example.toml to govwatch.toml, "
            "or pass --config / set GOVWATCH_CONFIG)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{resolved}: cannot read sources file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{resolved}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    return parse_config(text, resolved)


def parse_config(text: str, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Validate TOML text; ``path`` only names the file in error messages."""
    where = str(path) if path else "<config>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    _check_keys(data, {"settings", "source", "channel"}, where)
    settings = _parse_settings(_table(data.get("settings", {}), f"{where}: [settings]"), where)
    sources_raw = data.get("source", [])
    if not isinstance(sources_raw, list):
        raise ConfigError(f"{where}: 'source' must be an array of tables ([[source]])")
    sources = [_parse_source(item, i, settings, where) for i, item in enumerate(sources_raw)]
    _unique([s.name for s in sources], where, "source")
    channels_raw = data.get("channel", [])
    if not isinstance(channels_raw, list):
        raise ConfigError(f"{where}: 'channel' must be an array of tables ([[channel]])")
    env = os.environ if environ is None else environ
    channels = [_parse_channel(item, i, where, env) for i, item in enumerate(channels_raw)]
    _unique([c.name for c in channels], where, "channel")
    names = {s.name for s in sources}
    for channel in channels:
        unknown = sorted((channel.sources or frozenset()) - names)
        if unknown:
            raise ConfigError(
                f"{where}: channel {channel.name!r}: field 'sources' names unknown source(s) {unknown}"
            )
    return Config(path=path, sources=sources, channels=channels, settings=settings)


# -- parsing helpers ---------------------------------------------------------------------------------


class _Fields:
    """Typed access to one table's fields, with errors that say where."""

    def __init__(self, table: Mapping[str, Any], where: str) -> None:
        self.table = table
        self.where = where

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: field {key!r} {message}")

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.table.get(key, default)
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.fail(key, f"must be a non-empty string, got {value!r}")
        return value.strip()

    def integer(self, key: str, default: int, *, minimum: int = 0) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be an integer >= {minimum}, got {value!r}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(key, f"must be a number >= 0, got {value!r}")
        return float(value)

    def positive(self, key: str, default: float) -> float:
        value = self.number(key, default)
        if value <= 0:
            raise self.fail(key, f"must be a number > 0, got {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def str_list(self, key: str, *, required: bool = False) -> list[str] | None:
        value = self.table.get(key)
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, f"must be a list of non-empty strings, got {value!r}")
        if required and not value:
            raise self.fail(key, "must not be empty")
        return [v.strip() for v in value]


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table")
    return value


def _check_keys(table: Mapping[str, Any], allowed: Set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if not unknown:
        return
    named = []
    for key in unknown:
        match = difflib.get_close_matches(key, allowed, n=1)
        named.append(f"{key!r} (did you mean {match[0]!r}?)" if match else repr(key))
    raise ConfigError(f"{where}: unknown field(s) {', '.join(named)}; allowed: {sorted(allowed)}")


def _unique(names: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ConfigError(f"{where}: {what} {name!r}: field 'name' is used twice; names must be unique")
        seen.add(name)


# The fields a table may hold are the fields of its dataclass: a new setting is one edit.
_SETTINGS_KEYS = frozenset(f.name for f in fields(Settings))
EXECUTORS = ("local", "queue")


def _parse_settings(table: dict[str, Any], where: str) -> Settings:
    _check_keys(table, _SETTINGS_KEYS, f"{where}: [settings]")
    f = _Fields(table, f"{where}: [settings]")
    return Settings(
        contact=f.text("contact", DEFAULT_CONTACT) or DEFAULT_CONTACT,
        user_agent=f.text("user_agent"),
        download_delay=f.number("download_delay", DEFAULT_DOWNLOAD_DELAY),
        concurrency=f.integer("concurrency", DEFAULT_CONCURRENCY, minimum=1),
        obey_robots=f.flag("obey_robots", True),
        max_pages=f.integer("max_pages", DEFAULT_MAX_PAGES, minimum=1),
        max_depth=f.integer("max_depth", DEFAULT_MAX_DEPTH, minimum=1),
        timeout_seconds=f.integer("timeout_seconds", DEFAULT_TIMEOUT_SECONDS, minimum=1),
        fetch_timeout_seconds=f.positive("fetch_timeout_seconds", DEFAULT_FETCH_TIMEOUT_SECONDS),
        min_bytes_per_second=f.integer("min_bytes_per_second", DEFAULT_MIN_BYTES_PER_SECOND),
        executor=_executor(f.text("executor", "local") or "local", where),
    )


def _executor(value: str, where: str) -> str:
    if value not in EXECUTORS:
        raise ConfigError(
            f"{where}: [settings]: field 'executor' must be one of {', '.join(EXECUTORS)}, not {value!r}"
        )
    return value


# ``origins`` is derived from allowed_hosts and start_urls, never written.
_SOURCE_KEYS = frozenset(f.name for f in fields(SourceConfig)) - {"origins"}


def _parse_source(item: Any, index: int, defaults: Settings, where: str) -> SourceConfig:
    table = _table(item, f"{where}: source #{index + 1}")
    label = f"source #{index + 1}"
    name = table.get("name")
    if isinstance(name, str) and name.strip():
        label = f"source {name.strip()!r}"
    loc = f"{where}: {label}"
    _check_keys(table, _SOURCE_KEYS, loc)
    f = _Fields(table, loc)
    name = f.text("name", required=True) or ""
    if not _NAME_RE.match(name):
        raise f.fail("name", "may hold only letters, digits, '.', '_' and '-' (max 100), e.g. 'wuxi-dfgw'")
    start_urls = f.str_list("start_urls", required=True) or []
    for url in start_urls:
        _check_url(url, f, "start_urls")
    entries = f.str_list("allowed_hosts")
    if entries is None:
        entries = sorted({(urlsplit(u).hostname or "") for u in start_urls})
    parsed: list[tuple[str, int | None]] = []
    for entry in entries:
        try:
            parsed.append(parse_host_entry(entry))
        except ValueError as exc:
            raise f.fail("allowed_hosts", f"holds {entry!r}: {exc}") from None
    hosts = list(dict.fromkeys(host for host, _ in parsed))
    origins = bare_host_origins([h for h, port in parsed if port is None], start_urls) | {
        (h, port) for h, port in parsed if port is not None
    }
    for url in start_urls:
        if (urlsplit(url).hostname or "").lower().rstrip(".") not in hosts:
            raise f.fail("start_urls", f"holds {url!r}, whose host is not in allowed_hosts {entries}")
        if origin(url) not in origins:
            raise f.fail("start_urls", f"holds {url!r}, whose port is not in allowed_hosts {entries}")
    platform = f.text("platform", "generic") or "generic"
    if platform not in PLATFORMS:
        raise f.fail("platform", f"must be one of {list(PLATFORMS)}, got {platform!r}")
    schedule = f.text("schedule")
    if schedule is not None:
        _check_schedule(schedule, f)
    pattern = f.text("detail_url_pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise f.fail("detail_url_pattern", f"is not a valid regular expression: {exc}") from None
    selector = f.text("list_selector")
    if selector is not None:
        _check_selector(selector, f)
    include = _parse_patterns(f, "include")
    exclude = _parse_patterns(f, "exclude")
    return SourceConfig(
        name=name,
        start_urls=tuple(start_urls),
        allowed_hosts=tuple(hosts),
        platform=platform,
        schedule=schedule,
        jitter_seconds=f.integer("jitter_seconds", 0),
        timeout_seconds=f.integer("timeout_seconds", defaults.timeout_seconds, minimum=1),
        detail_url_pattern=pattern,
        list_selector=selector,
        max_pages=f.integer("max_pages", defaults.max_pages, minimum=1),
        max_depth=f.integer("max_depth", defaults.max_depth, minimum=1),
        download_delay=f.number("download_delay", defaults.download_delay),
        concurrency=f.integer("concurrency", defaults.concurrency, minimum=1),
        obey_robots=f.flag("obey_robots", defaults.obey_robots),
        allow_private_addresses=f.flag("allow_private_addresses", False),
        notify_kinds=_parse_kinds(f, "notify_kinds"),
        include=include,
        exclude=exclude,
        fetch_timeout_seconds=f.positive("fetch_timeout_seconds", defaults.fetch_timeout_seconds),
        min_bytes_per_second=f.integer("min_bytes_per_second", defaults.min_bytes_per_second),
        origins=frozenset(origins),
    )


def _parse_patterns(f: _Fields, key: str) -> tuple[str, ...]:
    patterns = f.str_list(key) or []
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise f.fail(key, f"holds {pattern!r}, which is not a valid regular expression: {exc}") from None
    return tuple(patterns)


_CHANNEL_KEYS = frozenset(f.name for f in fields(ChannelConfig))


def _parse_channel(item: Any, index: int, where: str, env: Mapping[str, str]) -> ChannelConfig:
    table = _table(item, f"{where}: channel #{index + 1}")
    name = table.get("name")
    label = f"channel {name.strip()!r}" if isinstance(name, str) and name.strip() else f"channel #{index + 1}"
    loc = f"{where}: {label}"
    _check_keys(table, _CHANNEL_KEYS, loc)
    f = _Fields(table, loc)
    name = f.text("name", required=True) or ""
    kind = f.text("type", required=True) or ""
    if kind not in CHANNEL_TYPES:
        raise f.fail("type", f"must be one of {list(CHANNEL_TYPES)}, got {kind!r}")
    url = f.text("url")
    if url is not None:
        url = _expand_env(url, f, env)
    if url is None and kind != "console":
        raise f.fail("url", f"is required for a {kind} channel")
    options = table.get("options", {})
    if not isinstance(options, dict):
        raise f.fail("options", "must be a table")
    sources = f.str_list("sources")
    return ChannelConfig(
        name=name,
        type=kind,
        url=url,
        kinds=_parse_kinds(f, "kinds"),
        sources=frozenset(sources) if sources is not None else None,
        options=options,
    )


def _parse_kinds(f: _Fields, key: str) -> frozenset[str] | None:
    values = f.str_list(key)
    if values is None:
        return None
    try:
        return frozenset(str(kind) for kind in events.expand(values))
    except ValueError as exc:
        raise f.fail(key, f"holds {exc}") from None


def _expand_env(value: str, f: _Fields, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in env:
            raise f.fail("url", f"refers to environment variable ${{{var}}}, which is not set")
        return env[var]

    return _ENV_RE.sub(replace, value)


def _check_url(url: str, f: _Fields, key: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise f.fail(key, f"holds {url!r}; only absolute http:// or https:// URLs are allowed")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_HOST_RE.match(host))


def _check_schedule(schedule: str, f: _Fields) -> None:
    try:
        parse_schedule(schedule)
    except ScheduleError as exc:
        raise f.fail("schedule", str(exc)) from None


def _check_selector(selector: str, f: _Fields) -> None:
    # XPath selectors start with '/' or '('; anything else is CSS, as the spider applies it.
    # parsel is what the spider selects with, so parsel is what must accept the selector.
    from parsel import Selector

    is_xpath = selector.startswith(("/", "("))
    what = "XPath expression" if is_xpath else "CSS selector"
    try:
        if is_xpath:
            Selector(text="<html/>").xpath(selector)
        else:
            Selector(text="<html/>").css(selector)
    except (ValueError, SyntaxError) as exc:  # XPath errors are ValueError, CSS ones SyntaxError
        raise f.fail("list_selector", f"is not a valid {what}: {exc}") from None
    if not is_xpath and "::" in selector:
        # The spider looks for links inside the selected elements; text or attributes hold none.
        raise f.fail(
            "list_selector", f"{selector!r} must select elements (e.g. 'ul.list'), not ::text or ::attr"
        )
