"""Part-writing rules as processors, on hand-made tokens: each rule scored where it is broken, strict
masks (the least bad kept when all break), soft subtracts, and the judge counts the same rules; the
lookup tables the sampler uses count exactly what the formula does, on random contexts."""

import math

import numpy as np
import pytest
import tensorflow as tf

from seqgen.data_prep import part_writing as pw
from seqgen.data_prep.chorale_codec import ChoraleCodec
from seqgen.data_prep.errors import SeqgenError
from seqgen.generate.processors import Context
from seqgen.generate.rule_tables import RuleTables, fits
from seqgen.generate.rules import ALL_RULES, Formula, RulesConfig, part_writing, pitch_table, scorer

CODEC = ChoraleCodec(36, 84)


def tok(pitch: int) -> int:
    return 2 + 2 * (pitch - CODEC.low) + 1  # struck


def at(prev_step, this_step, voice):
    """The context for drawing ``voice`` of step 1 after step 0 ``prev_step`` (S, A, T, B pitches)."""
    before = [0] * 36 + [tok(p) for p in prev_step] + [tok(p) for p in this_step[:voice]]
    return Context(tf.constant(4 + voice), tf.constant([before[-36:]], tf.int32))  # the processor's history


def scores(rules, mode, prev_step, this_step, voice, penalty=3.0, keep_rhythm=False):
    processor = part_writing(CODEC, RulesConfig(mode, penalty, rules, keep_rhythm))
    logits = tf.zeros([1, CODEC.vocab_size])
    return processor(logits, at(prev_step, this_step, voice)).numpy()[0]


CASES = {  # rule -> (step 0, step 1 so far, voice drawn, a pitch breaking it, a pitch that does not)
    "parallel_fifths": ([67, 64, 55, 48], [69, 65, 55], 3, 50, 53),
    "parallel_octaves": ([72, 64, 55, 48], [74, 65, 55], 3, 50, 55),
    "hidden_fifths": ([64, 60, 55, 48], [69, 60, 55], 3, 50, 53),
    "hidden_octaves": ([64, 60, 55, 48], [74, 63, 55], 3, 50, 55),
    "voice_crossing": ([67, 60, 57, 48], [67, 58], 2, 59, 55),
    "voice_overlap": ([67, 64, 57, 48], [69], 1, 68, 64),  # the alto above where the soprano was
    "spacing": ([72, 64, 55, 48], [79], 1, 64, 72),
    "augmented_leaps": ([72, 64, 55, 48], [], 0, 66, 71),
    "out_of_range": ([72, 64, 55, 48], [], 0, 84, 79),
}


@pytest.mark.parametrize("rule", list(CASES))
def test_each_rule_masks_its_breaking_pitch_strictly_and_penalises_it_softly(rule):
    prev, now, voice, bad, good = CASES[rule]
    strict = scores((rule,), "strict", prev, now, voice)
    assert strict[tok(bad)] == -math.inf and strict[tok(good)] == 0  # a parallel fifth masked, ...
    soft = scores((rule,), "soft", prev, now, voice, penalty=2.5)
    assert soft[tok(bad)] == pytest.approx(-2.5) and soft[tok(good)] == 0  # ... a crossing penalised


def test_strict_gives_held_and_struck_notes_back_the_probability_its_mask_took():
    prev, now, voice, bad, _ = CASES["parallel_fifths"]
    logits = np.zeros([1, CODEC.vocab_size], np.float32)
    logits[0, tok(48) - 1], logits[0, tok(bad)] = 3.0, 4.0  # the model leans to holding the bass's C, or the fifth

    def probabilities(keep_rhythm):
        processor = part_writing(CODEC, RulesConfig("strict", rules=("parallel_fifths",), keep_rhythm=keep_rhythm))
        return tf.nn.softmax(processor(tf.constant(logits), at(prev, now, voice))).numpy()[0]

    held, before, after = CODEC.held_ids(), tf.nn.softmax(logits).numpy()[0], probabilities(True)
    assert after[tok(bad)] == 0  # the parallel fifth is still masked ...
    assert after[held].sum() == pytest.approx(before[held].sum())  # ... and holding is as likely as the model said
    assert probabilities(False)[held].sum() > before[held].sum() + 0.01  # renormalising moves the masked share to holds


def test_held_ids_are_the_hold_tokens_of_both_blocks():
    codec = ChoraleCodec(60, 62, phrases=True)
    held = codec.held_ids()
    assert held.shape == (codec.vocab_size,) and list(np.flatnonzero(held)) == [2, 4, 6, 8, 10, 12]
    assert not held[list(codec.mode_ids)].any() and not held[[0, 1]].any()


def test_strict_keeps_the_least_bad_when_every_candidate_breaks_a_rule():
    processor = part_writing(CODEC, RulesConfig("strict", rules=("out_of_range",)))
    logits = np.full((1, CODEC.vocab_size), -np.inf, np.float32)
    logits[0, [tok(84), tok(83)]] = [1.0, 2.0]  # only soprano notes out of range are left
    out = processor(tf.constant(logits), at([72, 64, 55, 48], [], 0)).numpy()[0]
    assert out[tok(84)] == 1.0 and out[tok(83)] == 2.0


def test_a_parallel_octave_across_a_breath_is_masked_as_the_judge_counts_it():
    processor = part_writing(CODEC, RulesConfig("strict", rules=("parallel_octaves",)))
    chord, now = [tok(p) for p in (74, 65, 62, 58)], [tok(77), tok(74)]  # a fermata chord; then S and A
    recent = [0] * 14 + chord + [1] * 16 + now  # 36 tokens; four silent steps between (token 1: silence)
    out = processor(tf.zeros([1, CODEC.vocab_size]), Context(tf.constant(4 * 6 + 2), tf.constant([recent]))).numpy()[0]
    assert out[tok(65)] == -math.inf and np.isfinite(out[tok(67)])  # the octave below the soprano, as before
    assert part_writing(CODEC, RulesConfig("strict")).history == 36


def test_silence_and_the_first_step_break_nothing():
    processor = part_writing(CODEC, RulesConfig("soft"))
    first = Context(tf.constant(3), tf.zeros([1, 36], tf.int32))  # bass of step 0: nothing before it
    out = processor(tf.zeros([1, CODEC.vocab_size]), first).numpy()[0]
    assert out[1] == 0 and out[tok(48)] == 0 and out[tok(36)] < 0  # 36 is below the bass range


def test_pitch_table_reads_the_codec():
    table = pitch_table(CODEC)
    assert table[0] == table[1] == 0 and table[tok(60)] == table[tok(60) - 1] == 60


@pytest.mark.parametrize("bad, text", [(dict(mode="loose"), "--rules"), (dict(penalty=float("nan")), "--rule-penalty"),
                                       (dict(penalty=-1), "--rule-penalty"), (dict(rules=("fifths",)), "rules"),
                                       (dict(keep_rhythm="yes"), "keep_rhythm"),
                                       (dict(fermata_on_beats=1), "fermata_on_beats"),
                                       (dict(offbeat_sixteenths=None), "offbeat_sixteenths")])
def test_rules_config_validates(bad, text):
    with pytest.raises(SeqgenError, match=text):
        RulesConfig(**bad)


def test_off_is_no_processor_and_other_voice_counts_are_refused():
    assert part_writing(CODEC, RulesConfig("off")) is None
    with pytest.raises(SeqgenError, match="--rules off"):
        part_writing(ChoraleCodec(36, 84, voices=3))


def test_the_asked_keys_scale_and_profile_steer_the_notes():
    from seqgen.generate.rules import scale_steer, steering

    logits = tf.zeros([2, CODEC.vocab_size])
    scale_only = scale_steer(CODEC, 2, "minor", penalty=2.0, profile=0.0)(logits).numpy()
    assert scale_only.shape == (2, CODEC.vocab_size)
    assert scale_only[0, tok(62)] == 0 and scale_only[0, tok(61)] == 0  # D and the leading tone C#: in D minor
    assert scale_only[0, tok(63)] == -2 and scale_only[0, tok(66)] == -2  # Eb, F#: outside
    assert (scale_only[:, :2] == 0).all()  # rest and held-rest tokens untouched
    profiled = scale_steer(CODEC, 2, "minor", penalty=2.0, profile=1.0)(logits).numpy()[0]
    assert profiled[tok(62)] == 0 > profiled[tok(65)] > profiled[tok(60)]  # D over F over C: not F major
    assert scale_steer(CODEC, 2, "minor", 0.0, 0.0) is None and steering(CODEC, None, None) is None
    with pytest.raises(SeqgenError, match="scale penalty"):
        scale_steer(CODEC, 2, "minor", penalty=-1.0)
    both = steering(CODEC, RulesConfig("soft"), (2, "minor"), 2.0, 0.0)  # the rules' history, the scale's cost
    assert both.history == 36
    assert both(logits, at([72, 64, 55, 48], [], 0)).numpy()[0, tok(75)] == -2  # Eb: in range, no rule, outside


def random_contexts(codec, rng, batch=256):
    """``(batch, 8)`` recent tokens: mostly pitches a few steps apart (so the rules fire), and some
    silence, BOS, phrase-end and mode tokens."""
    low, high = codec.low, codec.high
    pitch = np.clip(rng.integers(low, high + 1, (batch, 1)) + np.cumsum(rng.integers(-7, 8, (batch, 8)), 1), low, high)
    tokens = 2 + 2 * (pitch - low) + rng.integers(0, 2, (batch, 8))
    tokens += rng.choice([0, codec.fermata_start - 2], (batch, 8), p=[0.9, 0.1])  # some phrase ends
    other = rng.choice([0, 1, *codec.mode_ids], (batch, 8))
    return np.where(rng.random((batch, 8)) < 0.1, other, tokens).astype(np.int32)


PARALLELS = ("parallel_fifths", "parallel_octaves")  # the particle filter's penalty: counted for drawn tokens


@pytest.mark.parametrize("voices, subsets", [(4, [ALL_RULES, PARALLELS] + [(r,) for r in ALL_RULES]),
                                             (3, [PARALLELS]), (2, [PARALLELS])])
def test_the_tables_count_exactly_what_the_formula_counts(voices, subsets):
    codec = ChoraleCodec(48, 72, voices=voices, phrases=True)
    table, rng = pitch_table(codec), np.random.default_rng(voices)
    ranges = pw.RANGES if voices == 4 else [(0, 127)] * voices
    for rules in subsets:
        tables, formula, total = RuleTables(table, voices, rules, ranges), Formula(table, voices, rules, ranges), 0
        every = rules in (ALL_RULES, PARALLELS)  # at every voice; one rule alone (the formula is slow eagerly)
        voice_drawn = range(voices) if every else (rng.choice([1, 2]), 3)  # at an upper voice and the bass
        for position in [voices + int(v) for v in voice_drawn]:  # (BOS, silence in the contexts: the first step)
            recent = random_contexts(codec, rng)[:, -2 * voices:]
            context = Context(tf.constant(position), tf.constant(recent))
            counts = tables.counts(context).numpy()
            np.testing.assert_array_equal(counts, formula.counts(context).numpy())
            total += counts.sum()
            if every:
                worst = counts.argmax(axis=1)  # a rule-breaking token where there is one
                drawn = np.where(rng.random(len(recent)) < 0.5, worst, rng.integers(0, codec.vocab_size, len(recent)))
                broken = tables.broken(context, tf.constant(drawn, tf.int32)).numpy()
                np.testing.assert_array_equal(broken, formula.broken(context, tf.constant(drawn, tf.int32)).numpy())
                assert broken.shape == (len(recent), 1) and (broken[:, 0] == counts[np.arange(len(drawn)), drawn]).all()
        assert total > 0, rules  # each rule fired somewhere: the comparison was not vacuous


def test_the_tables_look_back_across_rests_as_the_formula_does():
    codec = ChoraleCodec(48, 72, voices=4, phrases=True)
    table, rng = pitch_table(codec), np.random.default_rng(8)
    for rules in (ALL_RULES, PARALLELS):
        tables, formula = RuleTables(table, 4, rules, pw.RANGES, 8), Formula(table, 4, rules, pw.RANGES, 8)
        near = RuleTables(table, 4, rules, pw.RANGES)  # step t - 1 as it is
        assert tables.history == formula.history == 36 and near.history == 8
        changed = []
        for v in range(4):
            position = 40 + v  # the history's token j is at position 4 + v + j, in step (4 + v + j) // 4
            recent = np.concatenate([random_contexts(codec, rng)[:, :4] for _ in range(9)], axis=1)  # (256, 36)
            steps = (4 + v + np.arange(36)) // 4
            silent = rng.random((len(recent), 11)) < 0.6  # whole steps silent (token 1), most of them
            recent = np.where(silent[:, steps] & (steps < 10)[None, :], 1, recent).astype(np.int32)
            context = Context(tf.constant(position), tf.constant(recent))
            counts = tables.counts(context).numpy()
            np.testing.assert_array_equal(counts, formula.counts(context).numpy())
            drawn = tf.constant(counts.argmax(axis=1), tf.int32)
            np.testing.assert_array_equal(tables.broken(context, drawn).numpy(), formula.broken(context, drawn).numpy())
            changed.append((counts != near.counts(context).numpy()).any(axis=1).mean())
        assert np.mean(changed) > 0.02, changed  # the look-back mattered (not at the soprano for parallels)


def test_pitch_sets_too_wide_for_tables_keep_the_formula():
    wide, narrow = pitch_table(ChoraleCodec(1, 127)), pitch_table(CODEC)
    assert isinstance(scorer(wide, 4, ALL_RULES, pw.RANGES), Formula) and fits(narrow, 4) and not fits(wide, 4)
