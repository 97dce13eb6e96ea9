#!/usr/bin/env bash
# The GPU check of a lent device machine, in one call (about 8 minutes): which tests of the
# numeric core pass on the GPU, and the sweep and training benchmarks there. Run from the
# repository root on a machine whose python3 has jax with CUDA, optax, scikit-learn, torch and
# numba (the device image does); writes its logs to $OUT (default ./gpu-out).
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD/src:$PWD PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
{
  date -u; nvidia-smi -L; nproc
  python3 -c "import jax, jaxlib, numpy, sklearn; print(jax.__version__, jaxlib.__version__, numpy.__version__, sklearn.__version__, jax.devices())"
} >"$OUT/env.txt" 2>&1
# the numeric core on the GPU: update rules, engine, problems, estimators, validation
timeout 250 python3 -m pytest -q -n 8 -p no:cacheprovider --tb=line -W ignore \
  tests/optim tests/engine tests/problems tests/test_sklearn.py tests/test_validation_module.py \
  >"$OUT/tests.txt" 2>&1
echo "tests exit $?" >>"$OUT/tests.txt"
timeout 150 python3 -m benchmarks.history --quick >"$OUT/history.md" 2>&1
echo "history exit $?" >>"$OUT/history.md"
timeout 110 python3 -m benchmarks.train --quick --json "$OUT/train.json" >"$OUT/train.md" 2>&1
echo "train exit $?" >>"$OUT/train.md"
tail -3 "$OUT/tests.txt"
