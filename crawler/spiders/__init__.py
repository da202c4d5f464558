"""Spiders per portal platform; ``spider_for(platform)`` picks the class for a source."""

from __future__ import annotations

from crawler.spiders.base import PortalSpider
from crawler.spiders.generic import GenericSpider
from crawler.spiders.hanweb import HanwebSpider
from crawler.spiders.trs import TrsSpider

SPIDERS: dict[str, type[PortalSpider]] = {
    "generic": GenericSpider,
    "hanweb": HanwebSpider,
    "trs": TrsSpider,
}


def spider_for(platform: str) -> type[PortalSpider]:
    return SPIDERS[platform]


__all__ = ["SPIDERS", "GenericSpider", "HanwebSpider", "PortalSpider", "TrsSpider", "spider_for"]
