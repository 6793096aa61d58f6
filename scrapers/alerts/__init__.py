"""Alerts: ``missing`` sends each newly missing report once per channel (and a resolved line when it turns up),
``state`` keeps what each channel was told, ``published`` reads the published warehouse, ``failures`` tells the data
engineers about failed tasks, gates and builds, ``channels`` delivers (apprise URLs, else the outbox file)."""
