"""Test set-up: quiet TensorFlow, and two logical CPU devices so the mirrored strategy is testable.

The device split must happen before TensorFlow initialises its devices, so before any test module is
collected (``pytest_configure``). Under pytest-xdist the controller process runs no test and never
imports TensorFlow; each worker sets it up for itself.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
# oneDNN's kernels pay a set-up cost per op shape that the tests' tiny models never earn back: without
# them the suite takes about 10% less CPU (test_models + test_generate: 44 against 49.7 CPU-s). The
# tests compare runs made in one process, never against figures made with oneDNN on.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


def pytest_configure(config):
    if not os.environ.get("PYTEST_XDIST_WORKER") and getattr(config.option, "numprocesses", None):
        return  # the xdist controller: its workers run the tests
    set_up_tensorflow(worker=bool(os.environ.get("PYTEST_XDIST_WORKER")))


def set_up_tensorflow(worker: bool) -> None:
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    except RuntimeError:  # devices already initialised by an earlier import; mirrored tests will skip
        pass
    if worker:
        # pytest-xdist runs one worker per core: one thread per op each, so that the workers' TensorFlow
        # thread pools do not ask for more cores than there are.
        tf.config.threading.set_intra_op_parallelism_threads(1)


# The heaviest modules first (CPU-s of each, measured on 2 cores, 2026-12-03), so that the module a
# worker takes last is a short one: with ``--dist loadscope --no-loadscope-reorder`` (pyproject) a
# free worker takes the next module in this order; the rest follow in their usual order.
HEAVY_FIRST = ("test_processes.py", "test_sketch_task.py", "test_train.py",
               "test_studio_browser.py", "test_sketch_model.py", "test_midi_task.py", "test_text_task.py",
               "test_models.py", "test_harmonize.py", "test_studio_api.py", "test_generate.py", "test_driver.py",
               "test_cli.py", "test_series_cli.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a module's own order kept
