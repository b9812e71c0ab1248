from decimal import Decimal

from hallscore.core.kpi import Tx, evaluate_kpis, measure
from hallscore.core.rubric import KpiRubric

D = Decimal
TXS = [Tx(True, 0, 20, 5, 4), Tx(False, 1, 20, 4, 2), Tx(True, 1, None, None, None), Tx(False, 2, 10, 5, 3)]


def test_measures():
    assert measure("on_the_spot_share", TXS) == D("0.5")
    assert measure("avg_trips", TXS) == D("1")
    assert measure("online_depth_share", TXS, 3) == D("0.5")
    assert measure("promised_cut_share", TXS) == D("0.6833")
    assert measure("avg_trips", []) is None


def test_targets_met_and_missing_data():
    rubric = KpiRubric.model_validate({
        "id": "k", "version": "1", "title": "t", "kind": "kpi", "effective_from": "2021-01-01",
        "targets": [
            {"id": "k.spot", "name": "即办", "measure": "on_the_spot_share", "op": ">=", "threshold": 0.4,
             "seed": {"file": "f", "quote": "qq"}},
            {"id": "k.trips", "name": "跑动", "measure": "avg_trips", "op": "<=", "threshold": 0.1,
             "seed": {"file": "f", "quote": "qq"}},
            {"id": "k.callback", "name": "差评整改", "measure": "real_name_bad_reviews_rectified_on_time", "op": ">=",
             "threshold": 1, "seed": {"file": "f", "quote": "qq"}},
        ]})
    got = {r.target.id: (r.value, r.met) for r in evaluate_kpis(rubric, TXS)}
    assert got == {"k.spot": (D("0.5"), True), "k.trips": (D("1"), False), "k.callback": (None, None)}
