"""One sentence part of a policy text to its targets: which quantities are targets and what they measure."""

from __future__ import annotations

from dataclasses import dataclass, replace

from tracker.normalize.numbers import Number, Quantity
from tracker.normalize.wording import (
    BLOCK_AFTER,
    BLOCK_BEFORE,
    CLOSERS,
    COMPARISONS,
    CONNECTORS,
    NUMBER_RE,
    QUALITATIVE_RE,
    action_end,
    action_start,
    adverb_end,
    baseline_end,
    distributive_end,
    only_actions,
    relational_end,
    strip_hedges,
)


@dataclass(slots=True)
class Target:
    """One extracted target; ``subject`` and ``head`` let the next sentence part refer back to it."""

    indicator: str
    value: Number | None
    value_max: Number | None
    unit: str | None
    qualifier: str | None
    comparator: str | None
    text: str
    subject: str = ""
    head: str = ""
    distributive: str | None = None


def _acceptable(text: str, lo: int, quantity: Quantity) -> bool:
    if quantity.start > lo:
        before = text[quantity.start - 1]
        if before in BLOCK_BEFORE or (before.isascii() and (before.isalnum() or before in "_.+")):
            return False
    if text.startswith(BLOCK_AFTER, quantity.end):
        return False
    opened = text.count("“", lo, quantity.start) - text.count("”", lo, quantity.start)
    return opened <= 0 and text.count('"', lo, quantity.start) % 2 == 0


def _is_terminal(text: str, quantity: Quantity, hi: int) -> bool:
    rest = text[quantity.end : hi]
    return not rest.strip(CLOSERS) or rest[0] == "、" or rest.startswith("其中")


def _alternative_of(text: str, first: Quantity, second: Quantity) -> bool:
    """``first`` 或 ``second`` written back to back: one target stated in two units."""
    return text[first.end : second.start] in CONNECTORS


def _target(raw: str, quantity: Quantity, text: str, embedded: list[Quantity], raw_start: int) -> Target:
    indicator = strip_hedges(raw)
    comparator: str | None = None
    distributive: str | None = None
    if verb := relational_end(indicator):
        comparator, indicator = verb, indicator[: -len(verb)]
        for word in ("分别", "各"):
            if indicator.endswith(word):
                distributive, indicator = word, indicator[: -len(word)]
                break
    elif "分别" in indicator or indicator.endswith("各"):
        head_part, word, verb = distributive_end(indicator)
        if word:
            indicator, distributive, comparator = head_part, word, verb or None
    if adverb := adverb_end(indicator):
        indicator = indicator[: -len(adverb)]
    if baseline := baseline_end(indicator):
        indicator = indicator[: -len(baseline)]
    subject = indicator
    if comparator is None:
        if verb := action_start(indicator):
            comparator, subject = verb, indicator[len(verb) :]
        elif verb := action_end(indicator):
            comparator, subject = verb, indicator[: -len(verb)]
    head = ""
    if embedded:
        head = raw[embedded[-1].end - raw_start :].strip()
    return Target(
        indicator=indicator,
        value=quantity.value,
        value_max=quantity.value_max,
        unit=quantity.unit,
        qualifier=quantity.qualifier,
        comparator=comparator,
        text=text,
        subject=subject,
        head=head,
        distributive=distributive,
    )


def _only_thresholds(raw: str, raw_start: int, embedded: list[Quantity]) -> bool:
    """True when the indicator is nothing but a threshold such as 超50亿元."""
    if not embedded:
        return False
    rest, cursor = [], raw_start
    for quantity in embedded:
        rest.append(raw[cursor - raw_start : quantity.start - raw_start])
        cursor = quantity.end
    rest.append(raw[cursor - raw_start :])
    return not strip_hedges("".join(rest).replace("或", ""))


def _resolve(
    target: Target,
    previous: Target | None,
    raw: str,
    raw_start: int,
    embedded: list[Quantity],
    *,
    sibling: bool = False,
) -> Target:
    """Complete a sentence part that leans on the one before (竣工100个, 其中超50亿元15个)."""
    if previous is None:
        return target
    if _only_thresholds(raw, raw_start, embedded) and previous.head:
        return replace(target, indicator=target.indicator + previous.head, head=previous.head)
    if not target.indicator or only_actions(target.indicator):
        indicator = previous.subject + target.indicator if target.indicator else previous.indicator
        return replace(
            target,
            indicator=indicator,
            subject=previous.subject,
            comparator=target.comparator or previous.comparator,
        )
    verb = previous.comparator
    if (
        sibling
        and verb
        and target.comparator is None
        and previous.indicator.startswith(verb)
        and not previous.distributive
    ):
        # 新增A 150家、B 4家: the verb of the first part governs the list.
        return replace(target, indicator=verb + target.indicator, comparator=verb)
    return target


def _items(indicator: str, count: int) -> list[str] | None:
    """``A、B<tail>`` as ``count`` indicators ``A<tail>``, ``B<tail>``; None when the items or the
    tail cannot be told apart.

    The tail is what follows the last item: it starts after the first place where the last item
    repeats the ending of the first one (战略性新兴产业、高新技术产业产值占比重 → the tail 产值占比重
    follows 高新技术产业, which ends like 战略性新兴产业).
    """
    parts = [p for p in indicator.split("、") if p]
    if len(parts) != count:
        return None
    first, last = parts[0], parts[-1]
    for width in (2, 1):
        if len(first) <= width:
            continue
        at = last.find(first[-width:], 1)
        if at >= 0:
            tail = last[at + width :]
            return [p + tail for p in parts[:-1]] + [last]
    return None


def _distribute(targets: list[Target]) -> list[Target]:
    """分别达A、B, X、Y各N and A、B比重达X、Y: give each value its own indicator."""
    if not any(t.distributive for t in targets):
        return targets
    out: list[Target] = []
    i = 0
    while i < len(targets):
        target = targets[i]
        if target.distributive == "各":
            names = [p for p in target.indicator.split("、") if p]
            out.extend(replace(target, indicator=p, subject=p, distributive=None) for p in names)
            i += 1
            continue
        if target.distributive not in ("分别", "、"):
            out.append(target)
            i += 1
            continue
        run = [target]
        while i + len(run) < len(targets) and targets[i + len(run)].indicator == target.indicator:
            run.append(targets[i + len(run)])
        parts = _items(target.indicator, len(run))
        if parts is None:
            split = [p for p in target.indicator.split("、") if p]
            # 分别 vouches for one item per value; a bare value list whose items cannot be told
            # apart keeps one indicator for all (keys then differ by position).
            fits = target.distributive == "分别" and len(split) == len(run)
            parts = split if fits else [target.indicator] * len(run)
        out.extend(
            replace(t, indicator=p, subject=p, comparator=target.comparator, distributive=None)
            for t, p in zip(run, parts, strict=True)
        )
        i += len(run)
    return out


def _action_part(
    text: str, cursor: int, quantity: Quantity, hi: int, verb: str | None
) -> tuple[Target, int] | None:
    """开通200个“先离场后付费”停车场、…: an action with its own count inside a list."""
    pre = strip_hedges(text[cursor : quantity.start]).lstrip("和及与或")
    if not pre and verb:
        pre = verb
    if not pre or not only_actions(pre):
        return None
    stop = text.find("、", quantity.end, hi)
    if stop < 0:
        return None
    noun = text[quantity.end : stop].strip()
    if not noun or NUMBER_RE.search(noun):
        return None
    target = Target(
        indicator=pre + noun,
        value=quantity.value,
        value_max=quantity.value_max,
        unit=quantity.unit,
        qualifier=quantity.qualifier,
        comparator=pre,
        text=text[cursor:stop].strip(" 、"),
        subject=noun,
    )
    return target, stop + 1


def _action_parts(text: str, lo: int, hi: int, quantities: list[Quantity], verb: str | None) -> list[Target]:
    """Quantities right after an action verb: 实施20个年度重点场景, 打造50个A、50个B."""
    found: list[Target] = []
    cursor = lo
    for n, quantity in enumerate(quantities):
        stop = quantities[n + 1].start if n + 1 < len(quantities) else hi
        pre = strip_hedges(text[cursor : quantity.start]).lstrip("和及与或")
        noun = text[quantity.end : stop]
        noun_end = noun.find("、")
        if noun_end < 0:
            # 实施30条背街小巷和25座…: a connector before the next count is not part of the noun.
            noun_end = len(noun.rstrip("和及与或")) if n + 1 < len(quantities) else len(noun)
        noun = noun[:noun_end].strip()
        if pre and only_actions(pre):
            verb = pre
        elif pre:
            verb = None
        if verb and noun:
            found.append(
                Target(
                    indicator=verb + noun,
                    value=quantity.value,
                    value_max=quantity.value_max,
                    unit=quantity.unit,
                    qualifier=quantity.qualifier,
                    comparator=verb,
                    text=text[cursor : quantity.end + noun_end].strip(" 、"),
                    subject=noun,
                )
            )
        cursor = quantity.end + noun_end
    return found


def scan_clause(
    text: str, lo: int, hi: int, quantities: list[Quantity], previous: Target | None
) -> list[Target]:
    """Targets in ``text[lo:hi]``, one sentence part; ``quantities`` are those found in it."""
    kept = [q for q in quantities if _acceptable(text, lo, q)]
    if not kept:
        return []
    terminal = [False] * len(kept)
    for n in range(len(kept) - 1, -1, -1):
        if _is_terminal(text, kept[n], hi) or (
            n + 1 < len(kept) and terminal[n + 1] and _alternative_of(text, kept[n], kept[n + 1])
        ):
            terminal[n] = True
    targets: list[Target] = []
    cursor, embedded = lo, []
    action_verb: str | None = None
    for n, quantity in enumerate(kept):
        if not terminal[n]:
            part = _action_part(text, cursor, quantity, hi, action_verb)
            if part is None:
                embedded.append(quantity)
                continue
            targets.append(part[0])
            action_verb = part[0].comparator
            cursor, embedded = part[1], []
            continue
        action_verb = None
        if n > 0 and terminal[n - 1] and _alternative_of(text, kept[n - 1], quantity) and targets:
            alt = targets[-1]
            own = text[kept[n - 1].end : quantity.end]
            targets.append(
                replace(
                    alt,
                    value=quantity.value,
                    value_max=quantity.value_max,
                    unit=quantity.unit,
                    qualifier=quantity.qualifier,
                    text=own,
                )
            )
            cursor = quantity.end
            continue
        if embedded and (cut := text.rfind("、", embedded[-1].end, quantity.start)) >= 0:
            # 1003个停车场实现…、年增注册用户53.2万人: the count before 、 belongs to another part.
            cursor, embedded = cut + 1, []
        raw = text[cursor : quantity.start]
        if raw.lstrip(" 、").startswith(COMPARISONS):
            cursor, embedded = quantity.end, []
            continue
        own = text[cursor : quantity.end].strip(" 、")
        target = _target(raw, quantity, own, embedded, cursor)
        if targets:
            target = _resolve(target, targets[-1], raw, cursor, embedded, sibling=True)
            if (
                not raw.strip(" 、")
                and targets[-1].distributive is None
                and target.indicator == targets[-1].indicator
            ):
                # A、B比重达X、Y: a bare value list after a list of indicators, 分别 left unsaid.
                targets[-1] = replace(targets[-1], distributive="、")
        elif previous is not None and (raw.lstrip(" 、,，").startswith("其中") or not target.indicator):
            # Only a 其中 part, or one that names nothing (今年力争突破20亿元), leans on the
            # sentence part before it; any other stands alone.
            target = _resolve(target, previous, raw, cursor, embedded)
        if target.indicator or target.distributive:
            targets.append(target)
        elif targets and targets[-1].distributive == "分别":
            targets.append(replace(target, indicator=targets[-1].indicator))
        cursor, embedded = quantity.end, []
    targets = _distribute(targets)
    tail = [q for q in embedded if q.start >= cursor]
    if tail:
        verb = action_verb
        if targets and only_actions(targets[-1].indicator):
            verb = targets[-1].indicator
        parts = _action_parts(text, cursor, hi, tail, verb)
        if parts and verb and verb != action_verb and parts[0].comparator == verb:
            # 实施改造109个、424万平方米老旧小区: both counts are of the noun that ends the list.
            targets[-1] = replace(targets[-1], indicator=parts[0].indicator, subject=parts[0].subject)
        targets.extend(parts)
    return [t for t in targets if t.indicator]


def scan_list_item(item: str, quantities: list[Quantity], previous: Target | None) -> list[Target]:
    """Targets of one item of a target list; an item without a quantity is a qualitative target."""
    if quantities:
        found = scan_clause(item, 0, len(item), quantities, previous)
        if found:
            return found
    wording = item.strip()
    indicator, comparator = strip_hedges(wording), None
    if (match := QUALITATIVE_RE.search(indicator)) and match.start() > 0:
        indicator, comparator = indicator[: match.start()].rstrip("的"), match.group()
    if not indicator:
        return []
    return [Target(indicator, None, None, None, None, comparator, wording, subject=indicator)]
