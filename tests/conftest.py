"""Test set-up: quiet TensorFlow, and two logical CPU devices so the mirrored strategy is testable.

The device split must happen before TensorFlow initialises its devices, hence at import time here.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
except RuntimeError:  # devices already initialised by an earlier import; mirrored tests will skip
    pass

if os.environ.get("PYTEST_XDIST_WORKER"):
    # pytest-xdist runs one worker per core: one thread per op each, so that the workers' TensorFlow thread
    # pools do not ask for more cores than there are.
    tf.config.threading.set_intra_op_parallelism_threads(1)
