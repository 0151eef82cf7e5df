"""Training speed: tokens per second per family and preset, and the share of step time spent
waiting for input (goal: under 5%).

The input share compares a fit on the real pipeline with a fit on the same batches already in
memory: whatever the pipeline adds is time the model waited for data.

    python benchmarks/training_speed.py --presets lstm:small,gru:small,wavenet:small --steps 40
"""

from __future__ import annotations

import argparse

from common import Timer, table


def measure(spec: str, steps: int) -> dict:
    import keras
    import tensorflow as tf

    from seqgen.data_prep.chorale_cache import load_chorales
    from seqgen.data_prep.chorale_codec import ChoraleCodec
    from seqgen.models.chorale_task import ChoraleDataConfig, chorale_datasets
    from seqgen.models.config import make_config
    from seqgen.models.registry import build_model

    family, _, preset = spec.partition(":")
    dataset = load_chorales("music21", progress=False)
    codec = ChoraleCodec.fit([g for gs in dataset.values() for g in gs])
    data = ChoraleDataConfig()
    train, _ = chorale_datasets(dataset, codec, data)
    train = train.repeat()
    model = build_model(make_config(family, preset, codec.vocab_size, codec.period))
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(train, steps_per_epoch=3, epochs=1, verbose=0)  # compile and warm up
    with Timer() as piped:
        model.fit(train, steps_per_epoch=steps, epochs=1, verbose=0)
    cached = train.take(steps).cache()
    for _ in cached:  # fill the cache: the timed fit below reads batches from memory
        pass
    cached = cached.repeat()
    with Timer() as in_memory:
        model.fit(cached, steps_per_epoch=steps, epochs=1, verbose=0)
    tokens = steps * data.batch_size * data.window_steps * codec.period
    wait = max(piped.seconds - in_memory.seconds, 0.0) / piped.seconds
    return {"preset": spec, "params": model.count_params(), "tokens/s": round(tokens / piped.seconds),
            "input wait": f"{wait:.1%}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="lstm:tiny,lstm:small,gru:small,wavenet:small,textbook:textbook")
    parser.add_argument("--steps", type=int, default=40, help="training steps timed per preset")
    args = parser.parse_args()
    print(table([measure(spec, args.steps) for spec in args.presets.split(",")]))


if __name__ == "__main__":
    main()
