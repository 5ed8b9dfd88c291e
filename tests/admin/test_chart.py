"""The deliveries chart, read back by parsing its SVG with lxml: geometry against the counts,
the axis, colours, escaping, the legend's layout; and daily_counts' local days across DST."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate.admin.chart import PALETTE, DailyCounts, daily_counts, nice_ticks, render_chart

SVG = "http://www.w3.org/2000/svg"
NS = {"s": SVG}
PARIS = ZoneInfo("Europe/Paris")
END = date(2026, 11, 20)
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse(svg: str) -> etree._Element:
    assert svg.startswith("<svg")
    return etree.fromstring(svg.encode(), PARSER)


def counts(series: dict[str, Sequence[int]], *, end: date = END) -> DailyCounts:
    n = len(next(iter(series.values())))
    days = tuple(end - timedelta(days=n - 1 - i) for i in range(n))
    return DailyCounts(days, tuple((name, tuple(c)) for name, c in series.items()))


def segments(root: etree._Element) -> list[etree._Element]:
    return list(root.iterfind("s:g[@class='bars']/s:g/s:rect", NS))


def title_of(element: etree._Element) -> str:
    title = element.find("s:title", NS)
    assert title is not None
    return title.text or ""


def ticks(root: etree._Element) -> dict[int, float]:
    """Tick value → the y of its grid line."""
    axis = root.find("s:g[@class='y-axis']", NS)
    assert axis is not None
    lines = axis.findall("s:line", NS)
    labels = axis.findall("s:text", NS)
    assert len(lines) == len(labels)
    return {
        int(t.text or ""): float(str(line.get("y1"))) for line, t in zip(lines, labels, strict=True)
    }


def scale(root: etree._Element) -> tuple[float, float]:
    """(the baseline's y, viewBox units per delivery), as the axis draws them."""
    marks = ticks(root)
    top = max(marks)
    return marks[0], (marks[0] - marks[top]) / top


def view_width(root: etree._Element) -> float:
    return float(root.get("viewBox", "").split()[2])


def font_size(element: etree._Element) -> float:
    node: etree._Element | None = element
    while node is not None:
        if node.get("font-size"):
            return float(node.get("font-size", ""))
        node = node.getparent()
    raise AssertionError("no font-size")


def estimated_width(text: str, size: float) -> float:
    return len(text) * 0.6 * size


def check_stacks(root: etree._Element, chart: DailyCounts) -> None:
    """Each day's segments sit on the baseline, touch each other, and are count times scale tall."""
    baseline, per = scale(root)
    drawn = {g.get("data-date"): g for g in root.iterfind("s:g[@class='bars']/s:g", NS)}
    for i, day in enumerate(chart.days):
        expected = [c[i] for _, c in chart.series if c[i] > 0]
        if not expected:
            assert day.isoformat() not in drawn
            continue
        rects = drawn[day.isoformat()].findall("s:rect", NS)
        heights = [float(r.get("height", "")) for r in rects]
        assert heights == pytest.approx([c * per for c in expected], abs=0.05)
        assert sum(heights) == pytest.approx(sum(expected) * per, abs=0.05)
        bottom = baseline
        for rect, height in zip(rects, heights, strict=True):
            assert float(rect.get("y", "")) + height == pytest.approx(bottom, abs=0.011)
            bottom = float(rect.get("y", ""))


def test_the_svg_is_self_contained_accessible_and_responsive() -> None:
    x = [1, 0, 3] + [0] * 24 + [8]
    mastodon = [0, 2, 0] + [1] * 7 + [0] * 18
    chart = counts({"rdo-x": x, "rdo-mastodon": mastodon})
    root = parse(render_chart(chart))

    assert root.tag == f"{{{SVG}}}svg"
    assert root.get("role") == "img"
    assert root.get("height") is None
    assert root.get("width") in {None, "100%"}
    assert len(root.get("viewBox", "").split()) == 4
    assert str(root.get("preserveAspectRatio", "xMidYMid meet")).endswith("meet")
    title = root.find(f"s:title[@id='{root.get('aria-labelledby')}']", NS)
    desc = root.find(f"s:desc[@id='{root.get('aria-describedby')}']", NS)
    assert title is not None and title.text == "Deliveries per day"
    assert desc is not None
    assert (desc.text or "").startswith("rdo-x: 12 sent, rdo-mastodon: 9 sent over 28 days")

    everything = list(root.iter())
    assert not [e for e in everything if etree.QName(e).localname in {"script", "image", "use"}]
    attributes = {str(name) for e in everything for name in e.attrib}
    assert not [a for a in attributes if a.lower().startswith("on") or a.endswith("href")]
    assert "url(" not in etree.tostring(root).decode()


def test_each_non_zero_segment_has_a_title_naming_day_account_and_count() -> None:
    chart = counts({"rdo-x": [0, 3, 1, 0, 0, 0, 2], "rdo-mastodon": [4, 0, 1, 0, 0, 0, 0]})
    root = parse(render_chart(chart))

    assert [title_of(r) for r in segments(root)] == [
        "2026-11-14 · rdo-mastodon: 4",
        "2026-11-15 · rdo-x: 3",
        "2026-11-16 · rdo-x: 1",
        "2026-11-16 · rdo-mastodon: 1",
        "2026-11-20 · rdo-x: 2",
    ]


def test_segments_are_stacked_in_proportion_to_the_counts() -> None:
    a, b, c = [5, 0, 1, 7, 2, 0, 0, 3], [1, 1, 0, 6, 0, 0, 0, 3], [0] * 7 + [9]
    chart = counts({"a": a, "b": b, "c": c})
    root = parse(render_chart(chart))

    check_stacks(root, chart)
    widths = {r.get("width") for r in segments(root)}
    assert len(widths) == 1


@pytest.mark.parametrize("peak", [1, 2, 3, 5, 7, 10, 11, 19, 49, 50, 51, 99, 101, 999, 1234])
def test_the_axis_has_nice_integer_ticks_that_cover_the_tallest_bar(peak: int) -> None:
    root = parse(render_chart(counts({"a": [0, peak - 1, 1, 0, 0, 0, 0], "b": [0, 1] + [0] * 5})))

    values = sorted(ticks(root))
    assert values[0] == 0
    assert values[-1] >= peak
    step = values[1] - values[0]
    assert all(b - a == step for a, b in itertools.pairwise(values))
    assert step / 10 ** math.floor(math.log10(step)) in {1, 2, 5}


def test_nice_ticks_take_at_most_five_steps_of_1_2_or_5_times_a_power_of_ten() -> None:
    for peak in range(10_000):
        marks = nice_ticks(peak)
        step = marks[1]
        assert marks[0] == 0
        assert marks[-1] >= max(peak, 1)
        assert marks[-2] < peak or peak <= 1
        assert 2 <= len(marks) <= 6
        assert str(step).strip("0") in {"1", "2", "5"}


def test_colours_follow_the_account_position_not_its_counts() -> None:
    busy = parse(render_chart(counts({"a": [1, 2], "b": [3, 1], "c": [1, 1]})))
    quiet = parse(render_chart(counts({"a": [0, 0], "b": [3, 1], "c": [1, 1]})))

    for root in (busy, quiet):
        for rect in segments(root):
            account = title_of(rect).split(" · ")[1].split(":")[0]
            assert rect.get("fill") == PALETTE["abc".index(account)]
        swatches = root.findall("s:g[@class='legend']/s:g/s:rect", NS)
        assert [s.get("fill") for s in swatches] == list(PALETTE[:3])

    many = parse(render_chart(counts({f"acct{i}": [1] for i in range(len(PALETTE) + 2)})))
    fills = [r.get("fill") for r in segments(many)]
    assert fills == [*PALETTE, PALETTE[0], PALETTE[1]]


def test_names_and_titles_with_markup_characters_are_escaped() -> None:
    name = '<b>&"x"\'</b>'
    title = 'Sends & <fails> "today"'
    svg = render_chart(counts({name: [2, 0, 1], "plain": [1, 1, 1]}), title=title)
    root = parse(svg)

    assert "<b>" not in svg
    assert title_of(segments(root)[0]) == f"2026-11-18 · {name}: 2"
    legend = root.find("s:g[@class='legend']/s:g", NS)
    assert legend is not None
    assert title_of(legend) == f"{name}: 3 sent"
    assert [t.text for t in legend.findall("s:text", NS)] == [f"{name}: 3"]
    assert root.find("s:title", NS) is not None
    assert title_of(root) == title
    desc = root.find("s:desc", NS)
    assert desc is not None and name in (desc.text or "")


def test_characters_xml_cannot_carry_are_replaced_not_passed_through() -> None:
    root = parse(render_chart(counts({"bell\x07": [1]}), title="nul\x00"))

    assert title_of(root) == "nul\ufffd"
    assert title_of(segments(root)[0]) == "2026-11-20 · bell\ufffd: 1"


def test_an_all_zero_window_draws_the_axes_and_says_so() -> None:
    root = parse(render_chart(counts({"rdo-x": [0] * 28, "rdo-mastodon": [0] * 28})))

    assert segments(root) == []
    assert 0 in ticks(root)
    empty = root.find("s:text[@class='empty']", NS)
    assert empty is not None and empty.text == "No deliveries in the last 28 days"
    assert empty.get("text-anchor") == "middle"
    assert root.findall("s:g[@class='x-axis']/s:text", NS)


def test_no_accounts_at_all_still_renders() -> None:
    chart = DailyCounts(tuple(END - timedelta(days=6 - i) for i in range(7)), ())
    root = parse(render_chart(chart))

    empty = root.find("s:text[@class='empty']", NS)
    assert empty is not None and empty.text == "No deliveries in the last 7 days"


def test_the_legend_wraps_instead_of_overflowing() -> None:
    names = [f"account-{i:02d}-" + "x" * 19 for i in range(12)]
    assert {len(n) for n in names} == {30}
    root = parse(render_chart(counts({n: [i, 1, 0] for i, n in enumerate(names)})))

    width = view_width(root)
    items = root.findall("s:g[@class='legend']/s:g", NS)
    assert len(items) == 12
    rows = set()
    for item, name in zip(items, names, strict=True):
        text = item.find("s:text", NS)
        assert text is not None and text.text
        assert text.text.startswith(name[:23] + "…: ")
        assert title_of(item).startswith(name + ": ")
        assert float(text.get("x", "")) + estimated_width(text.text, font_size(text)) <= width
        rows.add(float(text.get("y", "")))
    assert len(rows) > 1
    assert max(rows) < float(root.get("viewBox", "").split()[3])


@pytest.mark.parametrize("weekday", range(7))
@pytest.mark.parametrize("days", [1, 7, 10, 14, 28, 42, 61, 90, 180, 365])
def test_day_labels_never_overlap_or_leave_the_chart(days: int, weekday: int) -> None:
    end = date(2026, 11, 16) + timedelta(days=weekday)  # a window ending on each day of the week
    root = parse(render_chart(counts({"a": [1] * days}, end=end)))

    labels = root.findall("s:g[@class='x-axis']/s:text", NS)
    assert labels
    spans = []
    for label in labels:
        half = estimated_width(label.text or "", font_size(label)) / 2
        spans.append((float(label.get("x", "")) - half, float(label.get("x", "")) + half))
    assert spans[0][0] >= 0
    assert spans[-1][1] <= view_width(root)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))


def test_rendering_is_deterministic_and_ids_differ_between_charts() -> None:
    chart = counts({"a": [1, 2, 3], "b": [0, 0, 4]})
    other = counts({"a": [1, 2, 3], "b": [0, 0, 5]})

    assert render_chart(chart) == render_chart(chart)
    assert parse(render_chart(chart)).get("aria-labelledby") != parse(render_chart(other)).get(
        "aria-labelledby"
    )


def test_daily_counts_buckets_by_local_day_across_the_spring_dst_change() -> None:
    # Paris moves from +01:00 to +02:00 at 01:00 UTC on 2026-03-29.
    sent = [
        ("x", datetime(2026, 3, 28, 22, 59, tzinfo=UTC)),  # 23:59 on the 28th
        ("x", datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),  # 00:30 on the 29th
        ("x", datetime(2026, 3, 29, 21, 59, tzinfo=UTC)),  # 23:59 CEST on the 29th
        ("m", datetime(2026, 3, 29, 22, 30, tzinfo=UTC)),  # 00:30 CEST on the 30th
    ]
    result = daily_counts(sent, ["x", "m"], end=date(2026, 3, 30), days=3, zone=PARIS)

    assert result.days == (date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30))
    assert result.series == (("x", (1, 2, 0)), ("m", (0, 0, 1)))


def test_daily_counts_buckets_by_local_day_across_the_autumn_dst_change() -> None:
    # Paris moves from +02:00 back to +01:00 at 01:00 UTC on 2026-10-25.
    paris = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS)  # the second 02:30, after the change
    sent = [
        ("x", datetime(2026, 10, 24, 22, 30, tzinfo=UTC)),  # 00:30 CEST on the 25th
        ("x", paris.replace(fold=1)),
        ("x", datetime(2026, 10, 25, 22, 59, tzinfo=UTC)),  # 23:59 CET on the 25th
        ("x", datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),  # 00:00 CET on the 26th
    ]
    result = daily_counts(sent, ["x"], end=date(2026, 10, 26), days=2, zone=PARIS)

    assert result.series == (("x", (3, 1)),)


def test_daily_counts_ignores_sends_outside_the_window() -> None:
    sent = [
        ("x", datetime(2026, 11, 13, 22, 59, tzinfo=UTC)),  # the 13th in Paris: one day early
        ("x", datetime(2026, 11, 13, 23, 0, tzinfo=UTC)),  # the 14th: the first day
        ("x", datetime(2026, 11, 20, 22, 59, tzinfo=UTC)),  # the 20th: the last day
        ("x", datetime(2026, 11, 20, 23, 0, tzinfo=UTC)),  # the 21st: tomorrow
        ("gone", datetime(2026, 1, 1, tzinfo=UTC)),  # removed, and only sent long ago
    ]
    result = daily_counts(sent, ["x"], end=END, days=7, zone=PARIS)

    assert result.days[0] == date(2026, 11, 14)
    assert result.days[-1] == END
    assert result.series == (("x", (1, 0, 0, 0, 0, 0, 1)),)


def test_daily_counts_lists_configured_accounts_first_then_removed_ones_by_name() -> None:
    at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    sent = [("zed", at), ("old-b", at), ("old-a", at), ("old-b", at), ("mid", at)]
    result = daily_counts(sent, ["zed", "quiet", "mid", "zed"], end=END, days=2, zone=PARIS)

    assert [name for name, _ in result.series] == ["zed", "quiet", "mid", "old-a", "old-b"]
    assert dict(result.series)["quiet"] == (0, 0)
    assert dict(result.series)["old-b"] == (0, 2)


def test_daily_counts_refuses_naive_times_and_empty_windows() -> None:
    with pytest.raises(ValueError, match="time zone"):
        daily_counts([("x", datetime(2026, 11, 20, 12))], ["x"], end=END, days=7, zone=PARIS)
    with pytest.raises(ValueError, match="at least 1"):
        daily_counts([], ["x"], end=END, days=0, zone=PARIS)


def test_daily_counts_checks_its_shape() -> None:
    day = date(2026, 11, 20)
    with pytest.raises(ValueError, match="consecutive"):
        DailyCounts((day, day + timedelta(days=2)), ())
    with pytest.raises(ValueError, match="2 counts for 1 days"):
        DailyCounts((day,), (("x", (1, 2)),))
    with pytest.raises(ValueError, match="negative"):
        DailyCounts((day,), (("x", (-1,)),))


@st.composite
def random_counts(draw: st.DrawFn) -> DailyCounts:
    days = draw(st.integers(min_value=7, max_value=42))
    names = draw(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=6, unique=True))
    row = st.lists(st.integers(min_value=0, max_value=50), min_size=days, max_size=days)
    end = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
    return DailyCounts(
        tuple(end - timedelta(days=days - 1 - i) for i in range(days)),
        tuple((name, tuple(draw(row))) for name in names),
    )


@settings(max_examples=150, deadline=None)
@given(random_counts())
def test_any_counts_render_to_parsable_svg_with_proportional_stacks(chart: DailyCounts) -> None:
    root = parse(render_chart(chart))

    peak = max(sum(c[i] for _, c in chart.series) for i in range(len(chart.days)))
    assert max(ticks(root)) >= peak
    assert len(segments(root)) == sum(1 for _, c in chart.series for n in c if n > 0)
    check_stacks(root, chart)
