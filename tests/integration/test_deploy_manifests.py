"""deploy/ is valid without running any engine: schemas, promtool, generated config.

- docker-compose.yml: compose-spec JSON schema (vendored in check-jsonschema).
- k8s/*.yaml: built-in kinds against the Kubernetes 1.30 OpenAPI schemas
  (kubernetes-validate, strict: unknown fields fail); CRDs (Strimzi,
  Altinity) against the fields hallscore relies on.
- prometheus/: promtool check config / check rules / test rules.
  Missing promtool: FAIL when CI is set (.ci/run installs `prometheus`), skip otherwise.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30"

CRD_SCHEMAS = {
    ("kafka.strimzi.io/v1beta2", "Kafka"): {
        "required": ["spec"],
        "properties": {"spec": {"required": ["kafka", "entityOperator"], "properties": {"kafka": {
            "required": ["listeners"], "properties": {"listeners": {"type": "array", "minItems": 1, "items": {
                "required": ["name", "port", "type", "tls"]}}, "config": {"type": "object"}}}}}},
    },
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"): {
        "required": ["spec"],
        "properties": {"metadata": {"required": ["labels"], "properties": {"labels": {"required": ["strimzi.io/cluster"]}}},
                       "spec": {"required": ["replicas", "roles", "storage"], "properties": {
                           "replicas": {"type": "integer", "minimum": 1},
                           "roles": {"type": "array", "items": {"enum": ["controller", "broker"]}}}}},
    },
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): {
        "required": ["spec"],
        "properties": {"metadata": {"required": ["labels"], "properties": {"labels": {"required": ["strimzi.io/cluster"]}}},
                       "spec": {"required": ["partitions", "replicas", "config"], "additionalProperties": False,
                                "properties": {"partitions": {"type": "integer", "minimum": 1},
                                               "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                                               "config": {"type": "object"}, "topicName": {"type": "string"}}}},
    },
    ("clickhouse.altinity.com/v1", "ClickHouseInstallation"): {
        "required": ["spec"],
        "properties": {"spec": {"required": ["configuration"], "properties": {"configuration": {
            "required": ["clusters"], "properties": {"clusters": {"type": "array", "minItems": 1, "items": {
                "required": ["name", "layout"]}}}}}}},
    },
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def k8s_objects() -> list[tuple[str, dict]]:
    return [(f"{p.name}#{i}", d) for p in sorted((DEPLOY / "k8s").glob("*.yaml")) for i, d in enumerate(_docs(p))]


def test_every_yaml_and_json_parses():
    files = [p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml", ".json")]
    assert len(files) >= 10
    for p in files:
        if p.suffix == ".json":
            json.loads(p.read_text(encoding="utf-8"))
        else:
            assert _docs(p), p


def test_compose_matches_compose_spec():
    schema_file = resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    jsonschema.validate(compose, schema)
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert services["clickhouse"]["image"].startswith("clickhouse/clickhouse-server")
    for svc in ("intake", "scoring", "ranking", "rectification", "prometheus", "grafana"):
        assert svc in services, svc
    for svc in ("intake", "scoring", "ranking", "rectification"):
        assert services[svc]["build"]["dockerfile"] == "deploy/Dockerfile"
    for rel in ("prometheus/prometheus.yml", "prometheus/alerts.yml", "grafana/hallscore.json", "Dockerfile", "compose.env"):
        assert (DEPLOY / rel).is_file(), rel


def test_k8s_objects_match_their_schemas():
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError

    objs = k8s_objects()
    kinds = set()
    for where, obj in objs:
        key = (obj["apiVersion"], obj["kind"])
        kinds.add(obj["kind"])
        assert obj["metadata"]["namespace" if obj["kind"] != "Namespace" else "name"], where
        if key in CRD_SCHEMAS:
            jsonschema.validate(obj, CRD_SCHEMAS[key])
            continue
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except SchemaNotFoundError:
            pytest.fail(f"{where}: no schema for {key}: add it to CRD_SCHEMAS")
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{where} ({obj['kind']} {obj['metadata'].get('name')}): {e.message} at {list(e.path)}")
    assert {"Kafka", "KafkaTopic", "ClickHouseInstallation", "Deployment", "StatefulSet",
            "HorizontalPodAutoscaler", "Service", "ConfigMap"} <= kinds


def test_k8s_topics_match_the_code_and_scoring_fits_the_partitions():
    from schemas.topics import DEFAULT_PARTITIONS, all_topics

    topics = {o["metadata"]["name"]: o["spec"] for _, o in k8s_objects() if o["kind"] == "KafkaTopic"}
    assert set(topics) == set(all_topics())
    for name, spec in topics.items():
        assert spec["partitions"] == DEFAULT_PARTITIONS, name  # faust co-partitioning
        assert spec["replicas"] == 3 and spec["config"]["min.insync.replicas"] == 2, name
        assert "retention.ms" in spec["config"], name
    hpas = {o["metadata"]["name"]: o["spec"] for _, o in k8s_objects() if o["kind"] == "HorizontalPodAutoscaler"}
    assert hpas["scoring"]["maxReplicas"] <= DEFAULT_PARTITIONS
    assert {"intake", "ranking"} <= set(hpas)


def test_k8s_config_is_generated_from_the_repo():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_config", DEPLOY / "k8s" / "gen_config.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (DEPLOY / "k8s" / "config.yaml").read_text(encoding="utf-8") == mod.render(), \
        "deploy/k8s/config.yaml is stale: run python deploy/k8s/gen_config.py"


def _promtool() -> str:
    tool = shutil.which("promtool")
    if tool is None:
        if _in_ci():
            pytest.fail("CI is set but promtool is missing (apt-get install prometheus; .ci/run does this)")
        pytest.skip("promtool not installed (apt-get install prometheus)")
    return tool


@pytest.mark.parametrize("args", [["check", "config", "prometheus.yml"], ["check", "rules", "alerts.yml"],
                                  ["test", "rules", "alerts_test.yml"]])
def test_promtool(args):
    r = subprocess.run([_promtool(), *args], cwd=DEPLOY / "prometheus", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
