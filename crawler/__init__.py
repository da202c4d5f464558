"""The fetch layer: Scrapy spiders per portal platform that hand every fetch to ``tracker.record``.

Entry point: ``python -m crawler SOURCE [SOURCE ...]`` (see ``crawler.__main__``). Layout: ``links``
(pure link discovery and pagination dialects), ``spiders/`` (generic, hanweb, trs), ``middlewares``
(safety guard, anti-bot challenges), ``pipelines`` + ``recording`` (one transaction per page, off
the reactor), ``settings`` (polite and safe defaults), ``run`` (one crawler per source in one
reactor, each with its run row), ``stats`` (counts in ``crawler.stats``), ``progress`` (the
progress events), ``deadline`` (no download outlives its source's time limit).
"""
