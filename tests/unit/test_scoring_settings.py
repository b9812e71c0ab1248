"""services.scoring settings, config files (fail fast) and app construction."""
from __future__ import annotations

import re

import pytest

from hallscore.core.rubric import DEFAULT_RUBRIC, RUBRICS_DIR, RubricError
from hallscore.core.schedule import DEFAULT_HALLS_FILE
from schemas.topics import DEFAULT_PARTITIONS, EVENT_TOPICS
from services.scoring import main as scoring_main
from services.scoring.settings import ConfigFileError, SettingsError, load_config, load_settings


@pytest.fixture
def env(monkeypatch, tmp_path):
    for k in ("KAFKA_BOOTSTRAP", "DATA_DIR", "RUBRIC_FILE", "HALLS_FILE", "TABLE_STORE", "WEB_PORT", "METRICS_PORT", "APP_ID"):
        monkeypatch.delenv(f"HALLSCORE_{k}", raising=False)
    monkeypatch.setenv("HALLSCORE_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("HALLSCORE_DATA_DIR", str(tmp_path / "data"))
    return monkeypatch


def test_defaults_from_env(env, tmp_path):
    s = load_settings()
    assert s.kafka_bootstrap == "127.0.0.1:1"
    assert (s.rubrics_dir, s.halls_file) == (RUBRICS_DIR, DEFAULT_HALLS_FILE)
    assert (s.table_store, s.web_port, s.web_host, s.metrics_port, s.app_id) == (
        "memory://", 6066, "127.0.0.1", 8102, "hallscore-scoring")
    assert s.faust_datadir == tmp_path / "data" / "hallscore-scoring"
    assert (tmp_path / "data").is_dir()


def test_missing_bootstrap_and_bad_store_are_named(env):
    env.delenv("HALLSCORE_KAFKA_BOOTSTRAP")
    env.setenv("HALLSCORE_TABLE_STORE", "redis://")
    with pytest.raises(SettingsError) as exc:
        load_settings()
    msg = str(exc.value)
    assert "HALLSCORE_KAFKA_BOOTSTRAP: is required but not set" in msg
    assert "HALLSCORE_TABLE_STORE" in msg and "memory://" in msg


def test_broken_rubric_names_file_and_field(env, tmp_path):
    bad = tmp_path / "rubric.yaml"
    bad.write_text(DEFAULT_RUBRIC.read_text(encoding="utf-8").replace("base_points: 100", "base_points: -1"),
                   encoding="utf-8")
    env.setenv("HALLSCORE_RUBRICS_DIR", str(tmp_path))
    with pytest.raises(RubricError) as exc:
        load_config(load_settings())
    assert re.search(rf"{re.escape(str(bad))}:\d+: base_points:", str(exc.value))


def test_broken_halls_file_names_file_and_field(env, tmp_path):
    bad = tmp_path / "halls.yaml"
    bad.write_text("default:\n  grace_minutes: -5\n  winter: []\n  summer: []\n", encoding="utf-8")
    env.setenv("HALLSCORE_HALLS_FILE", str(bad))
    with pytest.raises(ConfigFileError) as exc:
        load_config(load_settings())
    assert re.search(rf"{re.escape(str(bad))}:2: default.grace_minutes:", str(exc.value))
    env.setenv("HALLSCORE_HALLS_FILE", str(tmp_path / "missing.yaml"))
    with pytest.raises(ConfigFileError, match="cannot read"):
        load_config(load_settings())


def test_worker_refuses_to_start_on_a_broken_file(env, tmp_path, capsys):
    bad = tmp_path / "rubric.yaml"
    bad.write_text("id: [unclosed\n", encoding="utf-8")
    env.setenv("HALLSCORE_RUBRICS_DIR", str(tmp_path))
    # Exits before any broker I/O (the bootstrap 127.0.0.1:1 is never used).
    assert scoring_main.main() == 2
    err = capsys.readouterr().err
    assert "cannot start" in err and str(bad) in err and "not valid YAML" in err


def test_create_app_settings_and_tables(env):
    from services.scoring.app import create_app

    app = create_app(load_settings())
    c = app.conf
    assert (c.broker_session_timeout, c.broker_heartbeat_interval, c.broker_rebalance_timeout) == (6, 1, 6)
    assert c.processing_guarantee.value == "at_least_once"
    assert (c.topic_partitions, c.topic_replication_factor) == (DEFAULT_PARTITIONS, 1)
    assert (c.web_port, c.web_bind) == (6066, "127.0.0.1")
    assert set(app.scoring_tables) == {"unit_periods", "vetoes"}
    agent = next(iter(app.agents.values()))
    assert set(agent.channel.topics) == set(EVENT_TOPICS)
    # The Tansu end-offsets fix is installed by create_app.
    from aiokafka import AIOKafkaConsumer
    assert getattr(AIOKafkaConsumer.end_offsets, "_hallscore_end_offsets_fix", False)
