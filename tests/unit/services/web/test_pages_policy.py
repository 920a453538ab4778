"""The Content-Security-Policy of the pages: nothing inline, images also from the tile host."""

from services.config import Config
from services.web.pages import content_security_policy, tile_origin, tile_settings


def test_tile_origin_of_templates():
    assert (
        tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    )
    assert tile_origin("https://tiles.example.cn/{z}/{x}/{y}.png") == "https://tiles.example.cn"
    assert tile_origin("") is None
    assert tile_origin("javascript:alert(1)") is None
    assert tile_origin("https://{sub}.example.org/{z}") is None


def test_a_subdomain_inside_the_first_label_becomes_its_wildcard():
    amap = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&x={x}&y={y}&z={z}"
    assert tile_origin(amap) == "https://*.is.autonavi.com"
    assert (
        tile_origin("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=k") == "https://*.tianditu.gov.cn"
    )
    assert tile_origin("https://tiles.{s}.example.org/{z}") is None
    assert tile_origin("https://{s}/{z}") is None
    policy = content_security_policy(amap)
    assert (
        "https://*.is.autonavi.com" in dict(d.split(" ", 1) for d in policy.split("; "))["img-src"]
    )


def test_policy_allows_scripts_only_from_gridflow():
    policy = content_security_policy("https://tiles.example.cn/{z}/{x}/{y}.png")
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "https://tiles.example.cn" in directives["img-src"]
    assert "unsafe" not in policy


def test_the_policy_allows_both_tile_layers_once():
    policy = content_security_policy(
        "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk={tk}", "https://t{s}.tianditu.gov.cn/cva_w/wmts"
    )
    images = dict(d.split(" ", 1) for d in policy.split("; "))["img-src"].split()
    assert images.count("https://*.tianditu.gov.cn") == 1
    assert content_security_policy("https://tiles.example.cn/{z}", "") == content_security_policy(
        "https://tiles.example.cn/{z}"
    )


def test_tile_settings_name_the_datum_and_join_the_review_number():
    config = Config(
        tile_crs="wgs84", tile_subdomains="01234567", tile_key="k", tile_attribution="© 天地图",
        tile_approval="审图号：GS(2024)0650号", tile_labels_url="https://t{s}.tianditu.gov.cn/cva",
    )  # fmt: skip
    settings = tile_settings(config)
    assert settings["crs"] == "wgs84" and settings["subdomains"] == "01234567"
    assert settings["attribution"] == "© 天地图 审图号：GS(2024)0650号"
    assert (settings["labels"], settings["key"]) == ("https://t{s}.tianditu.gov.cn/cva", "k")
    assert tile_settings(Config())["crs"] == "gcj02"
