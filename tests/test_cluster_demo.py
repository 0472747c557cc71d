"""tools.cluster_demo: its report of the tasks each worker ran (the cluster itself is
exercised by `make cluster-demo`; the engine by test_parallel_dask.py)."""

import pytest

from tools import cluster_demo


@pytest.mark.parametrize(
    "key, kind",
    [
        ("_train_one_activation-relu-4aca84288946d21d34ce0794797cc2cd", "_train_one_activation"),
        ("_train_config_task-relu/normal-0373ce28347a05b6", "_train_config_task"),
        (
            "batch_of__fit_and_score_3_calls-9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "joblib batch of _fit_and_score",
        ),
        ("mixed_batch_of__fit_and_score_12_calls-00ff", "joblib batch of _fit_and_score"),
    ],
)
def test_task_kind(key, kind):
    assert cluster_demo.task_kind(key) == kind


def test_summary_counts_finished_tasks_per_worker():
    records = [
        {"key": "_train_one_activation-relu-aa", "worker": "tcp://127.0.0.1:1", "status": "OK"},
        {"key": "_train_one_activation-tanh-bb", "worker": "tcp://127.0.0.1:2", "status": "OK"},
        {
            "key": "batch_of__fit_and_score_2_calls-cc",
            "worker": "tcp://127.0.0.1:2",
            "status": "OK",
        },
        {"key": "_train_one_activation-tanh-bb", "worker": "tcp://127.0.0.1:1", "status": "error"},
    ]
    lines = cluster_demo.summarise(records, {"tcp://127.0.0.1:1": "demo-worker-1"})
    assert lines == [
        "3 tasks finished on 2 workers (1 failed attempts):",
        "  tcp://127.0.0.1:1 (demo-worker-1): 1 (_train_one_activation: 1)",
        "  tcp://127.0.0.1:2 (gone (restarted)): 2 (_train_one_activation: 1, "
        "joblib batch of _fit_and_score: 1)",
    ]


def test_rejects_no_workers_or_no_command(capsys):
    for argv in (["--workers", "0"], ["--"]):
        with pytest.raises(SystemExit):
            cluster_demo.main(argv)
    assert "need at least one worker" in capsys.readouterr().err
