"""hallscore replay engine: archive -> pure fold -> projection (docs/replay.md)."""
