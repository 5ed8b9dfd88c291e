"""Hugo shortcodes become what the generator would have made of them (Liquid: test_liquid)."""

from __future__ import annotations

from syndicate.content.templating import expand_shortcodes, needs_expanding

POSTS = {
    "2010-07-21-name": "https://x.org/2010/07/21/name/",
    "posts/other.md": "https://x.org/other/",
}


def resolve(ref: str) -> str | None:
    return POSTS.get(ref.removeprefix("_posts/").removesuffix(".md")) or POSTS.get(ref)


def test_plain_text_needs_nothing() -> None:
    assert not needs_expanding("Just *text* with {braces}.")


def test_hugo_media_shortcodes_become_embeds_and_links() -> None:
    body = (
        '{{< youtube w7Ft2ymGmfc >}}\n{{< vimeo id="146022717" >}}\n'
        '{{< figure src="cat.jpg" caption="A cat" link="https://x.org/cat" >}}\n'
        '{{< tweet user="SanDiegoZoo" id="1453110110599868418" >}}\n{{< gist spf13 7896402 >}}'
    )
    out = expand_shortcodes(body, resolve)
    assert '<iframe src="https://www.youtube.com/embed/w7Ft2ymGmfc"' in out.text
    assert '<iframe src="https://player.vimeo.com/video/146022717"></iframe>' in out.text
    figure = '<figure><a href="https://x.org/cat"><img src="cat.jpg" alt="A cat"></a>'
    assert figure + "<figcaption>A cat</figcaption></figure>" in out.text
    assert 'href="https://x.com/SanDiegoZoo/status/1453110110599868418"' in out.text
    assert 'href="https://gist.github.com/spf13/7896402"' in out.text
    assert out.warnings == []


def test_hugo_highlight_ref_paired_unknown_and_escaped_shortcodes() -> None:
    body = (
        '{{< highlight go "linenos=table" >}}\nfmt.Println(1)\n{{< /highlight >}}\n'
        '[o]({{< ref "posts/other.md" >}}) {{% notice tip %}}Keep this{{% /notice %}} '
        "{{</* youtube abc */>}}"
    )
    out = expand_shortcodes(body, resolve)
    assert out.text == (
        "```go\nfmt.Println(1)\n```\n[o](https://x.org/other/) Keep this {{< youtube abc >}}"
    )
    assert out.warnings == ["Hugo shortcode {{< notice >}} is not expanded in feeds; removed"]
