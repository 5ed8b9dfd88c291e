"""What a blog says about itself in its generator's own configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.content.siteinfo import SiteInfo, read_site_info
from tests.content.conftest import write


def test_middleman_site_yml(tmp_path: Path) -> None:
    write(
        tmp_path / "data" / "site.yml",
        "name: RDO\ndomain: rdoproject.org\nsubhead: OpenStack on RHEL\n"
        "owner: Red Hat\nssl: true\n",
    )
    assert read_site_info(tmp_path, "middleman") == SiteInfo(
        title="RDO",
        url="https://rdoproject.org/",
        description="OpenStack on RHEL",
        author="Red Hat",
        secure=True,
    )


@pytest.mark.parametrize("domain", ["example.org/", "https://example.org", "http://example.org/"])
def test_middleman_domain_written_as_a_url(tmp_path: Path, domain: str) -> None:
    write(tmp_path / "data" / "site.yml", f"domain: {domain}\n")
    assert read_site_info(tmp_path, "middleman").url == "https://example.org/"


def test_jekyll_config_with_baseurl(tmp_path: Path) -> None:
    write(
        tmp_path / "_config.yml",
        "title: J\nurl: https://jek.example.com/\nbaseurl: /blog\ndescription: D\nlang: fr\n"
        "author:\n  name: Ana\n  email: ana@example.org\n",
    )
    assert read_site_info(tmp_path, "jekyll") == SiteInfo(
        title="J",
        url="https://jek.example.com/blog/",
        description="D",
        language="fr",
        author="Ana",
        secure=True,
    )


def test_jekyll_plain_http_and_no_baseurl(tmp_path: Path) -> None:
    write(tmp_path / "_config.yml", "url: http://jek.example.com\nauthor: Ana\n")
    info = read_site_info(tmp_path, "jekyll")
    assert (info.url, info.secure, info.author) == ("http://jek.example.com/", False, "Ana")


def test_hugo_toml(tmp_path: Path) -> None:
    write(
        tmp_path / "hugo.toml",
        'baseURL = "https://hugo.example.com"\ntitle = "H"\nlanguageCode = "en-us"\n'
        '[params]\ndescription = "About"\nauthor = "Ana"\n',
    )
    assert read_site_info(tmp_path, "hugo") == SiteInfo(
        title="H",
        url="https://hugo.example.com/",
        description="About",
        language="en-us",
        author="Ana",
        secure=True,
    )


def test_hugo_yaml_config_is_found_too(tmp_path: Path) -> None:
    write(tmp_path / "config.yaml", "baseurl: https://h.example/\ntitle: Y\n")
    info = read_site_info(tmp_path, "hugo")
    assert (info.title, info.url) == ("Y", "https://h.example/")


def test_hugo_json_config(tmp_path: Path) -> None:
    write(tmp_path / "config.json", '{"baseURL": "https://h.example", "title": "J"}')
    assert read_site_info(tmp_path, "hugo").url == "https://h.example/"


@pytest.mark.parametrize("layout", ["middleman", "jekyll", "hugo"])
def test_nothing_declared_is_an_empty_site_info(tmp_path: Path, layout: str) -> None:
    assert read_site_info(tmp_path, layout) == SiteInfo()


@pytest.mark.parametrize(
    ("layout", "name", "text"),
    [
        ("middleman", "data/site.yml", "name: [unclosed\n"),
        ("jekyll", "_config.yml", "title: x\n  bad: indent\n"),
        ("hugo", "hugo.toml", "title = \n"),
        ("hugo", "config.json", "{not json"),
    ],
)
def test_an_unreadable_config_is_an_empty_site_info(
    tmp_path: Path, layout: str, name: str, text: str
) -> None:
    write(tmp_path / name, text)
    assert read_site_info(tmp_path, layout) == SiteInfo()


def test_a_config_that_is_not_a_mapping_is_empty(tmp_path: Path) -> None:
    write(tmp_path / "_config.yml", "- a\n- b\n")
    assert read_site_info(tmp_path, "jekyll") == SiteInfo()


def test_a_config_with_a_bom(tmp_path: Path) -> None:
    (tmp_path / "_config.yml").write_bytes("\ufefftitle: Bom\n".encode())
    assert read_site_info(tmp_path, "jekyll").title == "Bom"
