"""Collect: a government's list pages → candidate links → judged → fetched and read → landed.

One module per decision, in flow order: ``source_plan`` (which list URLs), ``discover`` (a list page's links and
further pages), ``judge`` (is this link, then this page, a report of this government?), ``fetch`` (polite HTTP),
``report_page`` (fetch and read one report page), ``land`` (the rows it writes), ``collector`` (one government's
links in that order), ``crawl`` (one government end to end, many at once), ``state`` (what the next run remembers).
Entry points: ``crawl.run_crawl`` (fzzf crawl, the Airflow crawl task) and ``crawl.crawl_government``.
"""
