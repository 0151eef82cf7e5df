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
