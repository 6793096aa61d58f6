"""Alerts: ``missing`` sends each newly missing report once per channel (and a resolved line when it turns up),
``unknown`` the weekly "cannot verify" digest, ``state`` keeps what each channel was told, ``published`` reads the
published warehouse, ``failures`` tells the data engineers about failed tasks, gates and builds, ``channels`` delivers
(apprise URLs, in parts that fit, else the outbox file), ``bots`` sends to DingTalk/WeCom and reads their answer,
``secrets`` keeps channel URLs' secrets out of everything written."""
