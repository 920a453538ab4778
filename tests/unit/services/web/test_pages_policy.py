"""The Content-Security-Policy of the pages: nothing inline, images also from the tile host."""

from services.web.pages import content_security_policy, tile_origin


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
