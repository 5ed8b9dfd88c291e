"""An SVG chart of the deliveries sent per day per account, drawn on the server for the status
dashboard: stacked bars, a y axis and a legend.

The markup is inlined into the page, so it has no scripts, fonts or external references, and its
text and axes take the page's colour (currentColor) to suit light and dark themes. It scales with
its container through the viewBox; sizes below are in viewBox units, chosen so that text stays
readable when the chart is drawn about 360 px wide on a phone."""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

import msgspec

# Okabe and Ito's colour-blind-safe palette, without its black, which vanishes on dark themes.
PALETTE = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")

WIDTH = 520
PAD = 8
TITLE_SIZE = 16
FONT_SIZE = 14  # legend and the empty-chart message
LABEL_SIZE = 13  # axis labels
PLOT_TOP = 40
PLOT_HEIGHT = 200
LEGEND_GAP = 38  # from the x axis to the middle of the legend's first row
LEGEND_ROW = 22
SWATCH = 12
LEGEND_NAME_CHARS = 24
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Attrs = Mapping[str, float | str]  # an element's attributes, numbers not yet formatted

# Characters XML 1.0 cannot carry even escaped; a stray one would make the whole page unparsable.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class DailyCounts(msgspec.Struct, frozen=True):
    """Deliveries per account per day, ready to draw."""

    days: tuple[date, ...]  # oldest first, consecutive
    series: tuple[tuple[str, tuple[int, ...]], ...]  # (account, count per day), accounts in order

    def __post_init__(self) -> None:
        if any(b - a != timedelta(days=1) for a, b in itertools.pairwise(self.days)):
            raise ValueError("days must be consecutive, oldest first")
        for name, counts in self.series:
            if len(counts) != len(self.days):
                raise ValueError(f"{name!r} has {len(counts)} counts for {len(self.days)} days")
            if any(count < 0 for count in counts):
                raise ValueError(f"{name!r} has a negative count")


def daily_counts(
    sent: Iterable[tuple[str, datetime]],
    accounts: Sequence[str],
    *,
    end: date,
    days: int,
    zone: ZoneInfo,
) -> DailyCounts:
    """Counts of (account, sent_at) per local day in `zone`, for the `days` days ending with `end`
    (inclusive). Listed accounts come first, in their order, even with no sends; an account with
    sends in the window but no longer listed (removed from the config) follows, in name order.
    Sends outside the window are ignored, so they never add an account."""
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    start = end - timedelta(days=days - 1)
    tallies: dict[str, list[int]] = {}
    for name, at in sent:
        if at.utcoffset() is None:
            raise ValueError(f"sent_at for {name!r} has no time zone: {at.isoformat()}")
        index = (at.astimezone(zone).date() - start).days
        if 0 <= index < days:
            tallies.setdefault(name, [0] * days)[index] += 1
    listed = list(dict.fromkeys(accounts))
    names = [*listed, *sorted(tallies.keys() - set(listed))]
    return DailyCounts(
        days=tuple(start + timedelta(days=i) for i in range(days)),
        series=tuple((name, tuple(tallies.get(name, [0] * days))) for name in names),
    )


def nice_ticks(peak: int) -> tuple[int, ...]:
    """Integer ticks from 0 in steps of 1, 2 or 5 times 10^n: at most five, the last >= peak."""
    peak = max(peak, 1)
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * magnitude
            if step * 5 >= peak:
                steps = -(-peak // step)
                return tuple(range(0, step * steps + 1, step))
        magnitude *= 10


def text_width(text: str, size: float) -> float:
    """A generous estimate of the drawn width of `text`: wide (CJK) characters take a full em,
    combining marks nothing, the rest 0.6 em, about the widest common sans-serif's average."""
    ems = 0.0
    for char in text:
        if unicodedata.combining(char):
            continue
        ems += 1.0 if unicodedata.east_asian_width(char) in "WF" else 0.6
    return ems * size


def render_chart(counts: DailyCounts, *, title: str = "Deliveries per day") -> str:
    """SVG markup (a string starting with "<svg") for `counts`, one element per line."""
    n = len(counts.days)
    if n == 0:
        raise ValueError("no days to chart")
    day_totals = [sum(c[i] for _, c in counts.series) for i in range(n)]
    ticks = nice_ticks(max(day_totals))
    left = PAD + max(text_width(str(t), LABEL_SIZE) for t in ticks) + 6
    plot = _Plot(left=left, slot=(WIDTH - PAD - left) / n, scale=PLOT_HEIGHT / ticks[-1])

    totals = [(name, sum(c)) for name, c in counts.series]
    legend, rows = _legend(totals, top=plot.baseline + LEGEND_GAP)
    height = plot.baseline + LEGEND_GAP - 8 + rows * LEGEND_ROW  # room below the last row's text

    uid = _uid(title, counts)
    span = f"{counts.days[0].isoformat()} to {counts.days[-1].isoformat()}"
    root: Attrs = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {WIDTH} {_num(height)}",
        "width": "100%",
        "preserveAspectRatio": "xMidYMid meet",
        "role": "img",
        "aria-labelledby": f"{uid}-title",
        "aria-describedby": f"{uid}-desc",
        "font-family": "system-ui, sans-serif",
        "font-size": FONT_SIZE,
        "fill": "currentColor",
    }
    heading: Attrs = {"x": PAD, "y": 22, "font-size": TITLE_SIZE, "font-weight": 600}
    out = [
        _open("svg", root),
        _tag("title", {"id": f"{uid}-title"}, _text(title)),
        _tag("desc", {"id": f"{uid}-desc"}, _text(f"{_summary(totals, n)} ({span})")),
        _tag("text", heading, _text(_fit(title, TITLE_SIZE, WIDTH - 2 * PAD))),
        *_y_axis(plot, ticks),
        *_x_axis(plot, counts.days),
    ]
    if max(day_totals) == 0:
        message = f"No deliveries in the last {n} day{'s' if n != 1 else ''}"
        centre = {"x": _round((plot.left + plot.right) / 2), "y": PLOT_TOP + PLOT_HEIGHT / 2}
        attrs: Attrs = {"class": "empty", "text-anchor": "middle", "dy": "0.35em", **centre}
        out.append(_tag("text", attrs, _text(message)))
    out.extend(_bars(plot, counts))
    out.extend(legend)
    out.append("</svg>")
    return "\n".join(out)


class _Plot(msgspec.Struct, frozen=True):
    """Where the bars go: `slot` units of width per day from `left`, `scale` units per send."""

    left: float
    slot: float
    scale: float
    right: float = WIDTH - PAD
    baseline: float = PLOT_TOP + PLOT_HEIGHT


def _y_axis(plot: _Plot, ticks: Sequence[int]) -> list[str]:
    """Light grid lines at each tick, their labels right-aligned against the plot."""
    out = [f'<g class="y-axis" font-size="{LABEL_SIZE}" text-anchor="end">']
    for tick in ticks:
        y = _round(plot.baseline - tick * plot.scale)
        opacity = 0.5 if tick == 0 else 0.15
        line = {"x1": plot.left, "x2": plot.right, "y1": y, "y2": y, "stroke-opacity": opacity}
        out.append(_tag("line", {"class": "grid", "stroke": "currentColor", **line}))
        out.append(_tag("text", {"x": plot.left - 6, "y": y, "dy": "0.35em"}, str(tick)))
    out.append("</g>")
    return out


def _x_axis(plot: _Plot, days: Sequence[date]) -> list[str]:
    """Day labels on days chosen by date, so they stay put as the window slides. A label pulled
    in from the chart's edge is dropped if that would make it touch its neighbour."""
    stride = _label_stride(plot.slot)
    out = [f'<g class="x-axis" font-size="{LABEL_SIZE}" text-anchor="middle">']
    previous_end = 0.0
    for i, day in enumerate(days):
        if (day.toordinal() - 1) % stride:  # ordinal 1 is a Monday, so weeks start on Mondays
            continue
        label = f"{MONTHS[day.month - 1]} {day.day}"
        half = text_width(label, LABEL_SIZE) / 2
        x = min(max(plot.left + (i + 0.5) * plot.slot, half + 2), WIDTH - half - 2)
        if x - half >= previous_end + 4:
            out.append(_tag("text", {"x": _round(x), "y": plot.baseline + 18}, label))
            previous_end = x + half
    out.append("</g>")
    return out


def _bars(plot: _Plot, counts: DailyCounts) -> list[str]:
    """Stacked bars, the first account at the bottom. Segment edges are rounded once and shared,
    so adjacent segments meet exactly and a day's segments add up to its bar."""
    width = _round(plot.slot * 0.7)
    out = ['<g class="bars">']
    for i, day in enumerate(counts.days):
        segments = [(p, name, c[i]) for p, (name, c) in enumerate(counts.series) if c[i] > 0]
        if not segments:
            continue
        x = _round(plot.left + i * plot.slot + (plot.slot - width) / 2)
        out.append(_open("g", {"data-date": day.isoformat()}))
        below = 0
        for position, name, count in segments:
            bottom = _round(plot.baseline - below * plot.scale)
            below += count
            top = _round(plot.baseline - below * plot.scale)
            rect = {"x": x, "y": top, "width": width, "height": _round(bottom - top)}
            tip = _tag("title", {}, _text(f"{day.isoformat()} · {name}: {count}"))
            out.append(_tag("rect", {**rect, "fill": _colour(position)}, tip))
        out.append("</g>")
    out.append("</g>")
    return out


def _legend(totals: Sequence[tuple[str, int]], *, top: float) -> tuple[list[str], int]:
    """The legend's markup, flowed into rows that fit the width, and how many rows it takes."""
    out = ['<g class="legend">']
    x, row = float(PAD), 0
    for position, (name, total) in enumerate(totals):
        short = name if len(name) <= LEGEND_NAME_CHARS else name[: LEGEND_NAME_CHARS - 1] + "…"
        label = f"{short}: {total}"
        item = SWATCH + 6 + text_width(label, FONT_SIZE)
        if x > PAD and x + item > WIDTH - PAD:
            x, row = float(PAD), row + 1
        y = top + row * LEGEND_ROW
        out.append("<g>")
        out.append(_tag("title", {}, _text(f"{name}: {total} sent")))
        swatch = {"x": _round(x), "y": y - SWATCH / 2, "width": SWATCH, "height": SWATCH, "rx": 2}
        out.append(_tag("rect", {**swatch, "fill": _colour(position)}))
        text: Attrs = {"x": _round(x + SWATCH + 6), "y": y, "dy": "0.35em"}
        out.append(_tag("text", text, _text(label)))
        out.append("</g>")
        x += item + 16
    out.append("</g>")
    return out, row + 1 if totals else 0


def _summary(totals: Sequence[tuple[str, int]], days: int) -> str:
    if not totals:
        return f"No accounts; no deliveries over {days} days"
    return ", ".join(f"{name}: {total} sent" for name, total in totals) + f" over {days} days"


def _label_stride(slot: float) -> int:
    """Every how many days to label so labels never touch: daily, every other day, weekly, then
    in whole weeks. "Mmm 30" is the widest label."""
    needed = text_width("Mmm 30", LABEL_SIZE) + 8
    for stride in (1, 2):
        if stride * slot >= needed:
            return stride
    return 7 * math.ceil(needed / (7 * slot))


def _colour(position: int) -> str:
    return PALETTE[position % len(PALETTE)]


def _fit(text: str, size: float, width: float) -> str:
    """`text`, cut short with an ellipsis if its estimated width exceeds `width`."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _uid(title: str, counts: DailyCounts) -> str:
    """An id prefix from the content, so two different charts on one page have distinct ids and
    the same chart always renders the same."""
    digest = hashlib.blake2s(repr((title, counts.days, counts.series)).encode(), digest_size=4)
    return f"chart-{digest.hexdigest()}"


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def _round(value: float) -> float:
    return round(value, 2)


def _num(value: float | str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attrs(attrs: Attrs) -> str:
    return "".join(f" {key}={quoteattr(_NOT_XML.sub('', _num(v)))}" for key, v in attrs.items())


def _open(name: str, attrs: Attrs) -> str:
    return f"<{name}{_attrs(attrs)}>"


def _tag(name: str, attrs: Attrs, body: str | None = None) -> str:
    """An element; `body` is markup, already escaped."""
    if body is None:
        return f"<{name}{_attrs(attrs)}/>"
    return f"<{name}{_attrs(attrs)}>{body}</{name}>"
